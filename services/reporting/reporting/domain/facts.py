"""The facts the reports are computed from, as the read model holds them (amounts in fen)."""

from __future__ import annotations

from dataclasses import dataclass

from refdata.enums import Insurance

INSURANCE_ORDER = tuple(i.value for i in Insurance)
INSURANCE_ZH = {i.value: i.zh for i in Insurance}
RELIEF_ZH = {"exempt": "免征", "halved": "减半征收", "mixed": "免征及减半征收", "none": "无减免"}


@dataclass(frozen=True)
class LiabilityFact:
    """One insurance of a payer-period's liability (relief-calc): the employer part and the individual
    part; or a construction project's premium (`project`: its code; fee period: its first month)."""

    credit_code: str
    fee_period: str
    insurance: str
    region: str
    relief: str  # exempt | halved | none
    original_fen: int
    relief_fen: int
    payable_fen: int
    individual_fen: int
    basis_policy: str | None = None
    basis_document: str | None = None
    project: str = ""  # "" on a monthly line
    kinds: tuple[int, int] | None = None  # (exempt, halved) parts of relief_fen, as the read model splits them

    @property
    def exempt_fen(self) -> int:
        if self.kinds is not None:
            return self.kinds[0]
        return self.relief_fen if self.relief == "exempt" else 0

    @property
    def halved_fen(self) -> int:
        if self.kinds is not None:
            return self.kinds[1]
        return self.relief_fen if self.relief == "halved" else 0


@dataclass(frozen=True)
class AccountFact:
    """One account of a payer's ledger (refund): fee period, insurance, part (and a construction
    project's code, "" on monthly accounts), six sums."""

    credit_code: str
    fee_period: str
    insurance: str
    part: str
    due_fen: int = 0
    paid_fen: int = 0
    offset_in_fen: int = 0
    credited_fen: int = 0
    offset_out_fen: int = 0
    refunded_fen: int = 0
    project: str = ""

    @property
    def outstanding_fen(self) -> int:
        return self.due_fen - self.paid_fen - self.offset_in_fen + self.credited_fen


@dataclass(frozen=True)
class PayerFact:
    credit_code: str
    name: str
    region: str


@dataclass(frozen=True)
class DeclaredFact:
    """A declared line (declaration): headcount and the employer rate (before any phased cut)."""

    credit_code: str
    fee_period: str
    insurance: str
    headcount: int
    employer_rate: str
    employer_original_rate: str | None = None


def insurance_rank(insurance: str) -> int:
    return INSURANCE_ORDER.index(insurance) if insurance in INSURANCE_ORDER else len(INSURANCE_ORDER)
