"""滞纳金 of one assessed liability on a given day (DOMAIN.md §2.6), line by line.

Per insurance and part (employer, individual): the amount owed is the liability's; what was
settled on it comes from the refund service's ledger (relief_calc.domain.paid: payments on their
value date, reversals, offsets and credits on the day recorded). The late fee runs from the day
after the due date (the liability's, from the region's due day) up to ``on``, each day on what was
still overdue that day (late_fees.overdue_runs: an entry counts from the day after its day), at
the daily rate of the late-fee policy in force for the region and period, rounded half-up once per
line and part, capped at the largest overdue amount where the province switched the cap on. An
approved deferral (缓缴) covering the insurance and period moves the employer part's due date to the
deferral's, so no late fee accrues during it (``waived_during_deferral``); money paid meanwhile
reduces what is overdue once it ends.

Entries dated after ``on`` are not counted: the answer is the late fee as it stood on ``on``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from relief_calc.domain.late_fees import accrued_fee_fen, overdue_runs
from relief_calc.domain.liability_events import Liability
from relief_calc.domain.paid import PaidEntry
from relief_calc.domain.policies import LateFeeParameters

PARTS = ("employer", "individual")


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
    paid: Sequence[PaidEntry] = (),
) -> dict[str, Any]:
    """The late fee of ``liability`` owed on ``on`` (see the module docstring)."""
    due = date.fromisoformat(liability.due_date)
    accounts = {(line.insurance, part) for line in liability.lines for part in PARTS}
    counted = sorted(
        (p for p in paid if p.on <= on and (p.insurance, p.part) in accounts),
        key=lambda p: (p.on, p.insurance, PARTS.index(p.part), p.kind, p.event_id),
    )
    lines = []
    for line in liability.lines:
        for part, owed in (("employer", line.employer_payable_fen), ("individual", line.individual_fen)):
            entries = [(p.on, p.amount_fen) for p in counted if (p.insurance, p.part) == (line.insurance, part)]
            paid_fen = sum(fen for _, fen in entries)
            deferral = next((d for d in deferrals if part == "employer" and d.covers(line.insurance, liability.fee_period)), None)
            line_due = deferral.due_date if deferral is not None and params.waived_during_deferral else due
            runs = overdue_runs(owed, line_due, on, entries)
            fee = accrued_fee_fen(
                runs, daily_rate=params.daily_rate, rounding=params.rounding, cap_at_principal=params.cap_at_principal
            )
            lines.append(
                {
                    "insurance": line.insurance,
                    "part": part,
                    "owed_fen": owed,
                    "paid_fen": paid_fen,
                    "unpaid_fen": max(owed - paid_fen, 0),
                    "due_date": line_due.isoformat(),
                    "days_late": sum(r.days for r in runs),
                    "deferral": None if deferral is None else deferral.id,
                    "overdue": [
                        {"from": r.first.isoformat(), "to": r.last.isoformat(), "days": r.days, "overdue_fen": r.overdue_fen}
                        for r in runs
                    ],
                    "late_fee_fen": fee,
                }
            )
    return {
        "on": on.isoformat(),
        "due_date": due.isoformat(),
        "daily_rate": str(params.daily_rate),
        "cap_at_principal": params.cap_at_principal,
        "owed_fen": sum(x["owed_fen"] for x in lines),
        "paid_fen": sum(x["paid_fen"] for x in lines),
        "unpaid_fen": sum(x["unpaid_fen"] for x in lines),
        "late_fee_fen": sum(x["late_fee_fen"] for x in lines),
        "paid_source": "ledger",
        "payments": [p.as_json() for p in counted],
        "lines": lines,
    }
