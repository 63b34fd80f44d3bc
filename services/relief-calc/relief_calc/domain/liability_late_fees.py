"""滞纳金 of one assessed liability on a given day (DOMAIN.md §2.6), line by line.

Per insurance and part (employer, individual): unpaid = owed − paid; the late fee runs from the
day after the due date (the liability's, from the region's due day) up to ``on``, at the daily
rate of the late-fee policy in force for the region and period, rounded half-up once per line and
part, capped at the unpaid amount where the province switched the cap on. An approved deferral
(缓缴) covering the insurance and period moves the employer part's due date to the deferral's, so
no late fee accrues during it (``waived_during_deferral``).

Paid amounts come from the refund service's ledger once it exists; until then every amount is
taken as unpaid (``paid_source: "assumed_zero"``), and the answer says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from relief_calc.domain.late_fees import late_fee_days, late_fee_fen
from relief_calc.domain.liability_events import Liability
from relief_calc.domain.policies import LateFeeParameters

PAID_NOTE = (
    "paid amounts are not connected yet (the refund service's ledger will supply them): every amount "
    "is taken as unpaid; 尚未接入缴费数据，按未缴计算"
)


@dataclass(frozen=True)
class Deferral:
    """An approved deferral as the late fee needs it."""

    id: str
    first_period: str
    last_period: str
    insurances: tuple[str, ...]
    due_date: date

    def covers(self, insurance: str, fee_period: str) -> bool:
        return insurance in self.insurances and self.first_period <= fee_period <= self.last_period


def late_fee(
    liability: Liability,
    on: date,
    params: LateFeeParameters,
    deferrals: Sequence[Deferral] = (),
    paid_fen: dict[tuple[str, str], int] | None = None,
) -> dict[str, Any]:
    """The late fee of ``liability`` owed on ``on`` (see the module docstring)."""
    due = date.fromisoformat(liability.due_date)
    paid = paid_fen or {}
    lines = []
    for line in liability.lines:
        for part, owed in (("employer", line.employer_payable_fen), ("individual", line.individual_fen)):
            unpaid = max(owed - paid.get((line.insurance, part), 0), 0)
            deferral = next((d for d in deferrals if part == "employer" and d.covers(line.insurance, liability.fee_period)), None)
            line_due = deferral.due_date if deferral is not None and params.waived_during_deferral else due
            fee = late_fee_fen(
                unpaid,
                line_due,
                on,
                cap_at_principal=params.cap_at_principal,
                daily_rate=params.daily_rate,
                rounding=params.rounding,
            )
            lines.append(
                {
                    "insurance": line.insurance,
                    "part": part,
                    "unpaid_fen": unpaid,
                    "due_date": line_due.isoformat(),
                    "days_late": late_fee_days(line_due, on),
                    "deferral": None if deferral is None else deferral.id,
                    "late_fee_fen": fee,
                }
            )
    return {
        "on": on.isoformat(),
        "due_date": due.isoformat(),
        "daily_rate": str(params.daily_rate),
        "cap_at_principal": params.cap_at_principal,
        "unpaid_fen": sum(x["unpaid_fen"] for x in lines),
        "late_fee_fen": sum(x["late_fee_fen"] for x in lines),
        "paid_source": "ledger" if paid_fen is not None else "assumed_zero",
        "note": None if paid_fen is not None else PAID_NOTE,
        "lines": lines,
    }
