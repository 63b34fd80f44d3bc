"""Audit hold (稽核): raising the contribution base inside a relief window is accepted but held
until a tax officer approves it (攀枝花 practice), because a higher base during exemption costs
the payer nothing now and raises the insured's future entitlements."""

from __future__ import annotations

from collections.abc import Sequence

from declaration.domain.events import AuditReason, DeclarationLine
from refdata.periods import FeePeriod

# The widest window of the 2020 relief (人社部发〔2020〕11号 extended by 49号: 2020-02 … 2020-12).
RELIEF_WINDOW = (FeePeriod.parse("2020-02"), FeePeriod.parse("2020-12"))


def in_relief_window(period: FeePeriod, window: tuple[FeePeriod, FeePeriod] = RELIEF_WINDOW) -> bool:
    return window[0] <= period <= window[1]


def base_increases(new: Sequence[DeclarationLine], previous: Sequence[DeclarationLine]) -> list[AuditReason]:
    """Insurances whose average base per employee rose against the reference declaration."""
    before = {line.insurance: line for line in previous if line.headcount > 0}
    reasons = []
    for line in new:
        ref = before.get(line.insurance)
        if ref is None or line.headcount == 0:
            continue
        old_avg, new_avg = ref.base_fen // ref.headcount, line.base_fen // line.headcount
        if new_avg > old_avg:
            reasons.append(AuditReason(insurance=line.insurance, previous_average_base_fen=old_avg, new_average_base_fen=new_avg))
    return reasons
