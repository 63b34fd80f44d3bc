"""滞纳金 of an assessed liability: per insurance and part, from the day after the due date, waived
for the employer part during an approved deferral, capped only where the province says so, and
computed against nothing paid until the refund ledger is connected (and saying so)."""

from __future__ import annotations

from datetime import date

from relief_calc.domain.liability_events import Inputs, Liability, LiabilityLine
from relief_calc.domain.liability_late_fees import Deferral, late_fee
from relief_calc.domain.policies import LateFeeParameters

LAW = LateFeeParameters(daily_rate="0.0005")


def liability(period: str = "2020-05", due: str = "2020-05-25") -> Liability:
    lines = (
        LiabilityLine(
            insurance="pension",
            relief="halved",
            employer_original_fen=800_000,
            employer_relief_fen=400_000,
            employer_payable_fen=400_000,
            individual_fen=400_000,
        ),
        LiabilityLine(
            insurance="medical",
            relief="none",
            employer_original_fen=350_000,
            employer_relief_fen=0,
            employer_payable_fen=350_000,
            individual_fen=100_000,
        ),
    )
    return Liability(
        credit_code="91320600MA00000015",
        fee_period=period,
        region="320600",
        unit_type="enterprise",
        status="final",
        size_used="large",
        due_date=due,
        lines=lines,
        employer_original_fen=1_150_000,
        employer_relief_fen=400_000,
        employer_payable_fen=750_000,
        individual_fen=500_000,
        inputs=Inputs(
            declaration_id="d",
            declaration_revision=1,
            declaration_event_id="e",
            size="large",
            size_source="assigned",
            size_event_id="s",
            policies=(),
        ),
    )


def by_line(out: dict) -> dict[tuple[str, str], int]:  # type: ignore[type-arg]
    return {(x["insurance"], x["part"]): x["late_fee_fen"] for x in out["lines"]}


def test_ten_days_late_is_half_a_percent_of_each_unpaid_amount() -> None:
    out = late_fee(liability(), date(2020, 6, 4), LAW)
    assert by_line(out) == {
        ("pension", "employer"): 2_000,
        ("pension", "individual"): 2_000,
        ("medical", "employer"): 1_750,
        ("medical", "individual"): 500,
    }
    assert (out["late_fee_fen"], out["unpaid_fen"]) == (6_250, 1_250_000)
    assert out["paid_source"] == "assumed_zero" and "unpaid" in out["note"]


def test_on_or_before_the_due_date_nothing_and_the_day_after_one_day() -> None:
    assert late_fee(liability(), date(2020, 5, 25), LAW)["late_fee_fen"] == 0
    assert by_line(late_fee(liability(), date(2020, 5, 26), LAW))[("pension", "employer")] == 200


def test_an_approved_deferral_waives_the_employer_part_of_the_deferred_insurances_only() -> None:
    deferral = Deferral("app-1", "2020-03", "2020-08", ("pension", "unemployment", "work_injury"), date(2020, 8, 25))
    out = late_fee(liability(), date(2020, 6, 4), LAW, [deferral])
    assert by_line(out) == {
        ("pension", "employer"): 0,
        ("pension", "individual"): 2_000,
        ("medical", "employer"): 1_750,
        ("medical", "individual"): 500,
    }
    assert [x["deferral"] for x in out["lines"]] == ["app-1", None, None, None]
    after = late_fee(liability(), date(2020, 8, 27), LAW, [deferral])  # two days after the deferred due date
    assert by_line(after)[("pension", "employer")] == 400
    outside = Deferral("app-2", "2020-06", "2020-08", ("pension",), date(2020, 8, 25))  # May is not deferred
    assert by_line(late_fee(liability(), date(2020, 6, 4), LAW, [outside]))[("pension", "employer")] == 2_000


def test_the_cap_at_the_principal_is_a_switch_off_by_default() -> None:
    years_later = date(2026, 5, 25)
    uncapped = late_fee(liability(), years_later, LAW)
    assert by_line(uncapped)[("pension", "employer")] > 400_000
    capped = late_fee(liability(), years_later, LateFeeParameters(daily_rate="0.0005", cap_at_principal=True))
    assert by_line(capped)[("pension", "employer")] == 400_000 and capped["late_fee_fen"] == capped["unpaid_fen"]


def test_paid_amounts_reduce_the_unpaid_base_once_a_ledger_supplies_them() -> None:
    out = late_fee(
        liability(), date(2020, 6, 4), LAW, paid_fen={("pension", "employer"): 400_000, ("medical", "employer"): 100_000}
    )
    assert by_line(out)[("pension", "employer")] == 0 and by_line(out)[("medical", "employer")] == 1_250
    assert out["paid_source"] == "ledger" and out["note"] is None
