"""Builders shared by the refund domain tests: a ledger grown by the domain's own decisions."""

from __future__ import annotations

from eventkit.crypto import Keyring, Sealed
from eventkit.events import Event
from refund.domain.allocation import LiabilityLineNotice, LiabilityNotice, PaymentNotice, SettlementRule
from refund.domain.events import Remittance
from refund.domain.ledger import Ledger, fold

PAYER = "91320600MA00000015"
RULE = SettlementRule()
KEYRING = Keyring.generate()


def sealed(account: str) -> Sealed:
    return Sealed.seal(account, KEYRING, "refund/refund.account")


class Book:
    """The events of one payer's ledger stream, appended through the domain's decisions."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._versions: dict[str, int] = {}
        self._payments = 0

    @property
    def ledger(self) -> Ledger:
        return fold(self.events)

    def add(self, events: list[Event]) -> list[Event]:
        self.events.extend(events)
        return events

    def liability(self, period: str, *lines: tuple[str, int, int], kind: str | None = None) -> LiabilityNotice:
        version = self._versions.get(period, 0) + 1
        self._versions[period] = version
        return LiabilityNotice(
            credit_code=PAYER,
            fee_period=period,
            kind=kind or ("assessed" if version == 1 else "reassessed"),
            source_event_id=f"lia-{period}-{version}",
            source_version=version,
            lines=tuple(LiabilityLineNotice(i, e, p) for i, e, p in lines),
        )

    def payment(
        self, amount: int, period: str | None = None, insurance: str | None = None, project: str | None = None
    ) -> PaymentNotice:
        self._payments += 1
        n = self._payments
        remittance = Remittance(fee_period=period, insurance=insurance, project=project)
        return PaymentNotice(PAYER, f"P{n}", f"BANK{n}", amount, "2020-03-15", remittance)

    def project_liability(self, project: str, payable_fen: int, first_period: str = "2020-03") -> LiabilityNotice:
        """relief-calc's (re)assessment of a construction project's premium (its own stream's versions)."""
        source = f"project:{project}"
        version = self._versions.get(source, 0) + 1
        self._versions[source] = version
        return LiabilityNotice(
            credit_code=PAYER,
            fee_period=first_period,
            kind="assessed" if version == 1 else "reassessed",
            source_event_id=f"lia-{source}-{version}",
            source_version=version,
            lines=(LiabilityLineNotice("work_injury", payable_fen, 0),),
            project=project,
        )
