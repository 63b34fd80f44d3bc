"""Late fees (DOMAIN.md §2.6) and construction projects insured per project (§2.5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from refdata.enums import UnitType
from relief_calc.domain.engine import Payer
from relief_calc.domain.errors import InvalidRequest
from relief_calc.domain.late_fees import late_fee_days, late_fee_fen
from relief_calc.domain.policies import LateFeeParameters, default_policy_dir, load_policies
from relief_calc.domain.preview import preview
from relief_calc.domain.projects import project_relief, prorated_relief_fen

POLICIES = load_policies(default_policy_dir())
DUE = date(2020, 3, 25)


def test_late_fee_runs_from_the_day_after_the_due_date() -> None:
    assert late_fee_fen(100_000, DUE, DUE) == 0
    assert late_fee_fen(100_000, DUE, date(2020, 3, 20)) == 0
    assert late_fee_fen(100_000, DUE, date(2020, 3, 26)) == 50  # one day: 1,000 元 × 0.05 %
    assert late_fee_fen(100_000, DUE, date(2020, 4, 4)) == 500
    assert late_fee_fen(0, DUE, date(2021, 4, 4)) == 0


def test_late_fee_is_simple_and_rounded_once() -> None:
    # 1 fen × 0.05 % × 1000 days = 0.5 fen → 1 (half-up); per-day rounding would give 0
    assert late_fee_fen(1, DUE, DUE + timedelta(days=1000)) == 1
    assert late_fee_fen(1, DUE, DUE + timedelta(days=999)) == 0
    assert late_fee_fen(3, DUE, date(2020, 3, 26)) == 0
    assert late_fee_fen(123_457, DUE, date(2020, 6, 3)) == round(123_457 * 70 * 5 / 10_000)  # 70 days: 4320.995 → 4321


def test_no_late_fee_during_an_approved_deferral() -> None:
    deferral = [(date(2020, 3, 26), date(2020, 4, 30))]
    assert late_fee_days(DUE, date(2020, 4, 30), deferral) == 0
    assert late_fee_days(DUE, date(2020, 5, 10), deferral) == 10
    assert late_fee_fen(100_000, DUE, date(2020, 5, 10), deferral) == 500
    overlapping = [
        (date(2020, 4, 1), date(2020, 4, 20)),
        (date(2020, 4, 10), date(2020, 4, 30)),
        (date(2019, 1, 1), date(2019, 2, 1)),
    ]
    assert late_fee_days(DUE, date(2020, 5, 10), overlapping) == 46 - 30


def test_cap_at_principal_is_a_switch_default_off() -> None:
    assert late_fee_fen(1_000, DUE, date(2028, 6, 1)) > 1_000
    assert late_fee_fen(1_000, DUE, date(2028, 6, 1), cap_at_principal=True) == 1_000
    params = POLICIES.parameters(LateFeeParameters, "320600", "2020-03")
    assert params is not None and params.values.cap_at_principal is False
    assert late_fee_fen(100_000, DUE, date(2020, 4, 4), daily_rate=params.values.daily_rate) == 500


def test_late_fee_refuses_bad_input() -> None:
    with pytest.raises(InvalidRequest):
        late_fee_fen(-1, DUE, DUE)
    with pytest.raises(InvalidRequest):
        late_fee_fen(1.5, DUE, DUE)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest):
        late_fee_fen(100, datetime(2020, 3, 25, 12), DUE)
    with pytest.raises(InvalidRequest, match="ends before"):
        late_fee_fen(100, DUE, date(2020, 5, 1), [(date(2020, 4, 2), date(2020, 4, 1))])


def project(
    started: str, months: int, premium: int, size: str | None, region: str = "320500", **extra: object
) -> dict[str, object]:
    payer: dict[str, object] = {"unit_type": "enterprise", "region": region}
    if size is not None:
        payer["size"] = size
    return preview({"payer": payer, "project": {"started": started, "planned_months": months, "premium_fen": premium}, **extra})


def test_project_start_boundary() -> None:
    before = project("2020-01-31", 12, 1_200_000, "large")
    assert (before["relief"], before["months_in_window"], before["relief_fen"], before["payable_fen"]) == (
        "none",
        0,
        0,
        1_200_000,
    )
    first = project("2020-02-01", 12, 1_200_000, "large")
    assert (first["relief"], first["months_in_window"], first["relief_fen"], first["payable_fen"]) == (
        "halved",
        5,
        250_000,
        950_000,
    )


@pytest.mark.parametrize(
    ("started", "months", "size", "region", "expected"),
    [
        ("2020-03-01", 10, "small", "320600", ("exempt", 10, 1_000_000)),  # 2020-03 … 12 all exempt
        ("2020-03-01", 12, "small", "320600", ("exempt", 10, 833_333)),  # 10/12 of 1,000,000 = 833,333.33
        ("2020-07-01", 6, "large", "320500", ("none", 0, 0)),
        ("2020-04-15", 6, "large", "420100", ("exempt", 3, 500_000)),  # Hubei: 04, 05, 06 exempt
        ("2020-02-01", 12, None, "320500", ("halved", 5, 208_333)),  # unknown size: as large, provisional
        ("2021-01-01", 3, "small", "320600", ("none", 0, 0)),
    ],
)
def test_project_proration(started: str, months: int, size: str | None, region: str, expected: tuple[str, int, int]) -> None:
    result = project(started, months, 1_000_000, size, region)
    assert (result["relief"], result["months_in_window"], result["relief_fen"]) == expected
    assert result["payable_fen"] == 1_000_000 - expected[2]
    assert result["status"] == ("provisional" if size is None else "final")


def test_project_relief_is_bitemporal() -> None:
    contractor = Payer(unit_type=UnitType.ENTERPRISE, region="320500")
    june = project_relief(
        contractor,
        "large",
        started=date(2020, 2, 1),
        planned_months=12,
        premium_fen=1_200_000,
        policies=POLICIES,
        as_known_at=date(2020, 6, 1),
    )
    july = project_relief(
        contractor,
        "large",
        started=date(2020, 2, 1),
        planned_months=12,
        premium_fen=1_200_000,
        policies=POLICIES,
        as_known_at=date(2020, 7, 1),
    )
    assert (june.months_halved, june.relief_fen) == (3, 150_000)
    assert (july.months_halved, july.relief_fen) == (5, 250_000)
    early = project_relief(
        contractor,
        "large",
        started=date(2020, 2, 1),
        planned_months=12,
        premium_fen=1_200_000,
        policies=POLICIES,
        as_known_at=date(2020, 1, 1),
    )
    assert (early.relief, early.relief_fen) == ("none", 0)


def test_proration_formula_and_rounding() -> None:
    assert prorated_relief_fen(1_200_000, 12, 0, 5) == 250_000
    assert prorated_relief_fen(1, 2, 0, 1) == 0  # 0.25 → 0
    assert prorated_relief_fen(3, 2, 0, 1) == 1  # 0.75 → 1
    assert prorated_relief_fen(1, 4, 1, 1) == 0  # 1 × 1.5 / 4 = 0.375 → 0
    assert prorated_relief_fen(2, 4, 1, 1) == 1  # 0.75 → 1
    assert prorated_relief_fen(100, 3, 3, 0) == 100
    with pytest.raises(InvalidRequest):
        prorated_relief_fen(100, 3, 2, 2)
    with pytest.raises(InvalidRequest):
        prorated_relief_fen(100, 0, 0, 0)
    with pytest.raises(InvalidRequest):
        project("2020-02-01", 0, 100, "large")
