"""The integration events relief-calc shares with other agencies (人社, 医保): stable contracts,
separate from its internal liability events, carrying no personal data beyond the credit code.

* ``public.CollectionAssessed`` v1 on ``public.collection-details`` (征收明细, assessed half): per
  payer and fee period, per insurance, the employer's original amount, the relief, what is payable,
  and the individual part, as the liability now stands. The paid half (``public.CollectionPaid``)
  is published by the refund service, which owns payments; both are keyed by the credit code, so
  one partition carries a payer's whole collection detail in order.
* ``public.ReliefDecision`` v1 on ``public.relief-decisions``: per payer and fee period, the relief
  decided per insurance (exempt | halved | none) with its policy basis (policy, document, rule,
  clause) and the policies in force.

Every event is a full snapshot of its payer-period (a reader keeps the latest per key, never needs
the earlier ones); a withdrawn liability (declaration voided) is a snapshot with status
``withdrawn`` and no lines.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from eventkit.events import Event
from relief_calc.domain.liability_events import Liability, LiabilityAssessed, LiabilityReassessed, LiabilityWithdrawn

PUBLIC_COLLECTION_TOPIC = "public.collection-details"
PUBLIC_DECISION_TOPIC = "public.relief-decisions"
_PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
Status = Literal["final", "provisional", "withdrawn"]
LiabilityEvent = LiabilityAssessed | LiabilityReassessed | LiabilityWithdrawn


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CollectionLine(_Part):
    insurance: str = Field(description="pension | unemployment | work_injury | medical | maternity")
    employer_original_fen: int = Field(description="单位应缴 before relief, in fen")
    employer_relief_fen: int = Field(description="减免额, in fen")
    employer_payable_fen: int = Field(description="单位实际应缴, in fen")
    individual_fen: int = Field(description="个人应缴 (never relieved), in fen")


class CollectionAssessed(Event):
    """征收明细 (assessed): what a payer owes for a fee period, per insurance, after relief."""

    name = "public.CollectionAssessed"
    version = 1
    credit_code: str = Field(description="统一社会信用代码")
    fee_period: str = Field(pattern=_PERIOD, description="费款所属期")
    region: str = Field(description="统筹区 (6-digit division code)")
    status: Status = Field(description="final | provisional (size unknown, assessed as large) | withdrawn")
    lines: tuple[CollectionLine, ...]
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int


class PolicyBasis(_Part):
    policy: str
    document: str = Field(description="the policy document, e.g. 人社部发〔2020〕11号")
    rule: str
    clause: str


class Decision(_Part):
    insurance: str
    relief: Literal["exempt", "halved", "none"]
    employer_relief_fen: int
    basis: PolicyBasis | None = Field(description="the rule that decided it; null when no relief applies")


class PolicyInForce(_Part):
    id: str
    content_hash: str


class ReliefDecision(Event):
    """减免核定: the relief decided for a payer's fee period, per insurance, with its policy basis."""

    name = "public.ReliefDecision"
    version = 1
    credit_code: str
    fee_period: str = Field(pattern=_PERIOD)
    region: str
    unit_type: str
    size_used: str | None = Field(description="the enterprise size the decision used (null: not classified)")
    status: Status
    decisions: tuple[Decision, ...]
    policies: tuple[PolicyInForce, ...]


PUBLIC_EVENTS = (CollectionAssessed, ReliefDecision)


def collection_of(e: LiabilityEvent) -> CollectionAssessed:
    if isinstance(e, LiabilityWithdrawn):
        return CollectionAssessed(
            credit_code=e.credit_code, fee_period=e.fee_period, region="", status="withdrawn", lines=(),
            employer_original_fen=0, employer_relief_fen=0, employer_payable_fen=0, individual_fen=0,
        )  # fmt: skip
    li = e.liability
    return CollectionAssessed(
        credit_code=li.credit_code, fee_period=li.fee_period, region=li.region, status=_status(li),
        lines=tuple(
            CollectionLine(
                insurance=x.insurance, employer_original_fen=x.employer_original_fen,
                employer_relief_fen=x.employer_relief_fen, employer_payable_fen=x.employer_payable_fen,
                individual_fen=x.individual_fen,
            )
            for x in li.lines
        ),
        employer_original_fen=li.employer_original_fen, employer_relief_fen=li.employer_relief_fen,
        employer_payable_fen=li.employer_payable_fen, individual_fen=li.individual_fen,
    )  # fmt: skip


def decision_of(e: LiabilityEvent) -> ReliefDecision:
    if isinstance(e, LiabilityWithdrawn):
        return ReliefDecision(
            credit_code=e.credit_code, fee_period=e.fee_period, region="", unit_type="", size_used=None,
            status="withdrawn", decisions=(), policies=(),
        )  # fmt: skip
    li = e.liability
    return ReliefDecision(
        credit_code=li.credit_code, fee_period=li.fee_period, region=li.region, unit_type=li.unit_type,
        size_used=li.size_used, status=_status(li),
        decisions=tuple(
            Decision(
                insurance=x.insurance, relief=_relief(x.relief), employer_relief_fen=x.employer_relief_fen,
                basis=None if x.basis is None else PolicyBasis(**x.basis.model_dump()),
            )
            for x in li.lines
        ),
        policies=tuple(PolicyInForce(id=p.id, content_hash=p.content_hash) for p in li.inputs.policies),
    )  # fmt: skip


def _status(li: Liability) -> Status:
    return "provisional" if li.status == "provisional" else "final"


def _relief(kind: str) -> Literal["exempt", "halved", "none"]:
    if kind == "exempt":
        return "exempt"
    if kind == "halved":
        return "halved"
    return "none"


def collection_stream(credit_code: str, fee_period: str) -> str:
    return f"public-collection-{credit_code}-{fee_period}"


def decision_stream(credit_code: str, fee_period: str) -> str:
    return f"public-decision-{credit_code}-{fee_period}"
