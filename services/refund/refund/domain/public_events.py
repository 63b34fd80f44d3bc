"""The integration event the refund service shares with other agencies (人社, 医保): the paid half
of the collection details (征收明细) on ``public.collection-details``.

``public.CollectionPaid`` v1: per payer and fee period, per insurance and part (employer |
individual), what the ledger says now: due, paid (payments allocated, net of reversals), settled
by offset (credits applied to it), moved out as overpayment (credited), refunded, and still
outstanding. relief-calc publishes the assessed half (``public.CollectionAssessed``: original,
relief, payable) on the same topic with the same key, the payer's credit code. Each event is a
full snapshot of its payer-period; a reader keeps the latest per key. No personal data beyond the
credit code (no accounts, no names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from eventkit.events import Event

if TYPE_CHECKING:  # the ledger imports the events, which register these
    from refund.domain.ledger import Ledger

PUBLIC_COLLECTION_TOPIC = "public.collection-details"


class PaidLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    insurance: str = Field(description="pension | unemployment | work_injury | medical | maternity")
    part: str = Field(description="employer | individual")
    due_fen: int
    paid_fen: int = Field(description="实缴: payments allocated to it, net of reversed payments")
    offset_in_fen: int = Field(description="抵缴: credits applied to it")
    credited_fen: int = Field(description="溢缴: overpayment moved out of it into a credit")
    refunded_fen: int = Field(description="退费: its credits paid back")
    outstanding_fen: int = Field(description="欠缴: still to pay")


class CollectionPaid(Event):
    """征收明细 (paid): how a payer's fee period stands in the ledger, per insurance and part."""

    name = "public.CollectionPaid"
    version = 1
    credit_code: str = Field(description="统一社会信用代码")
    fee_period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="费款所属期")
    lines: tuple[PaidLine, ...]


PUBLIC_EVENTS = (CollectionPaid,)


def paid_snapshots(ledger: Ledger) -> dict[str, CollectionPaid]:
    """fee period → its snapshot (the unallocated account belongs to no fee period; a construction
    project's premium is a lump sum for the project, not a fee period's collection: left out)."""
    by_period: dict[str, list[PaidLine]] = {}
    for k in ledger.keys():
        if not k.fee_period or k.project:
            continue
        b = ledger.accounts[k]
        by_period.setdefault(k.fee_period, []).append(
            PaidLine(
                insurance=k.insurance, part=k.part, due_fen=b.due, paid_fen=b.paid, offset_in_fen=b.offset_in,
                credited_fen=b.credited, refunded_fen=b.refunded, outstanding_fen=b.outstanding,
            )
        )  # fmt: skip
    return {
        period: CollectionPaid(credit_code=ledger.credit_code, fee_period=period, lines=tuple(lines))
        for period, lines in by_period.items()
    }


def changed_snapshots(before: Ledger, after: Ledger) -> list[CollectionPaid]:
    """The snapshots an entry changed, in fee-period order."""
    old = paid_snapshots(before)
    return [snap for period, snap in sorted(paid_snapshots(after).items()) if old.get(period) != snap]


def collection_paid_stream(credit_code: str, fee_period: str) -> str:
    return f"public-paid-{credit_code}-{fee_period}"
