"""滞纳金 of an assessed liability: per insurance and part, from the day after the due date, each day
on what the refund ledger says was still unpaid that day, waived for the employer part during an
approved deferral, capped only where the province says so."""

from __future__ import annotations

from datetime import date

from relief_calc.domain.liability_events import Inputs, Liability, LiabilityLine
from relief_calc.domain.liability_late_fees import Deferral, late_fee
from relief_calc.domain.paid import PaidEntry
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
    assert out["paid_source"] == "ledger" and out["payments"] == [] and out["paid_fen"] == 0


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


def paid(kind: str, on: date, fen: int, insurance: str = "pension", part: str = "employer", ref: str = "p1") -> PaidEntry:
    return PaidEntry(insurance, part, kind, on, fen, ref, f"{kind}-{ref}-{on}-{insurance}-{part}")


def pension_employer(out: dict) -> dict:  # type: ignore[type-arg]
    return next(x for x in out["lines"] if (x["insurance"], x["part"]) == ("pension", "employer"))


def test_paid_in_full_on_the_due_date_costs_nothing() -> None:
    out = late_fee(liability(), date(2020, 6, 4), LAW, paid=[paid("payment", date(2020, 5, 25), 400_000)])
    line = pension_employer(out)
    assert (line["late_fee_fen"], line["paid_fen"], line["unpaid_fen"], line["days_late"], line["overdue"]) == (
        0,
        400_000,
        0,
        0,
        [],
    )
    early = late_fee(liability(), date(2020, 6, 4), LAW, paid=[paid("payment", date(2020, 5, 10), 400_000)])
    assert pension_employer(early)["late_fee_fen"] == 0


def test_paid_in_full_one_day_late_costs_exactly_one_day() -> None:
    out = late_fee(liability(), date(2020, 6, 4), LAW, paid=[paid("payment", date(2020, 5, 26), 400_000)])
    line = pension_employer(out)
    assert (line["late_fee_fen"], line["days_late"]) == (200, 1)  # 400,000 × 0.05 %
    assert line["overdue"] == [{"from": "2020-05-26", "to": "2020-05-26", "days": 1, "overdue_fen": 400_000}]
    # rounded half-up once, as late_fee_fen rounds: 1,001 fen one day late is 0.5005 → 1 fen, 999 fen 0.4995 → 0
    small = liability().model_copy(update={"lines": (liability().lines[0].model_copy(update={"employer_payable_fen": 1_001}),)})
    assert pension_employer(late_fee(small, date(2020, 5, 26), LAW))["late_fee_fen"] == 1
    smaller = liability().model_copy(update={"lines": (liability().lines[0].model_copy(update={"employer_payable_fen": 999}),)})
    assert pension_employer(late_fee(smaller, date(2020, 5, 26), LAW))["late_fee_fen"] == 0


def test_a_partial_payment_reduces_the_overdue_base_from_the_day_after_it() -> None:
    # 100,000 paid on 05-30 (5 days late on 400,000), the rest on 06-04: 5 days × 400,000 then 5 × 300,000
    entries = [paid("payment", date(2020, 5, 30), 100_000, ref="a"), paid("payment", date(2020, 6, 4), 300_000, ref="b")]
    line = pension_employer(late_fee(liability(), date(2020, 6, 30), LAW, paid=entries))
    assert line["overdue"] == [
        {"from": "2020-05-26", "to": "2020-05-30", "days": 5, "overdue_fen": 400_000},
        {"from": "2020-05-31", "to": "2020-06-04", "days": 5, "overdue_fen": 300_000},
    ]
    assert (line["late_fee_fen"], line["days_late"], line["unpaid_fen"]) == (1_000 + 750, 10, 0)
    # asked on 06-02, the second payment has not happened yet: still 300,000 overdue
    before = pension_employer(late_fee(liability(), date(2020, 6, 2), LAW, paid=entries))
    assert (before["paid_fen"], before["unpaid_fen"], before["late_fee_fen"]) == (100_000, 300_000, 1_000 + 150 * 3)


def test_a_reversal_re_opens_the_amount_from_the_day_after_it_was_recorded() -> None:
    entries = [paid("payment", date(2020, 5, 20), 400_000), paid("reversal", date(2020, 6, 1), -400_000)]
    out = late_fee(liability(), date(2020, 6, 4), LAW, paid=entries)
    line = pension_employer(out)
    assert line["overdue"] == [{"from": "2020-06-02", "to": "2020-06-04", "days": 3, "overdue_fen": 400_000}]
    assert (line["late_fee_fen"], line["paid_fen"], line["unpaid_fen"]) == (600, 0, 400_000)
    assert [p["kind"] for p in out["payments"]] == ["payment", "reversal"]


def test_an_offset_pays_from_its_day_and_a_credit_moved_out_re_opens() -> None:
    entries = [
        paid("payment", date(2020, 5, 25), 400_000, ref="p"),
        paid("credited", date(2020, 5, 28), -150_000, ref="c1"),  # moved out into a credit, spent elsewhere
        paid("offset", date(2020, 6, 1), 150_000, ref="c2"),  # another period's credit pays it back
    ]
    line = pension_employer(late_fee(liability(), date(2020, 6, 30), LAW, paid=entries))
    assert line["overdue"] == [{"from": "2020-05-29", "to": "2020-06-01", "days": 4, "overdue_fen": 150_000}]
    assert line["late_fee_fen"] == 300


def test_an_overpayment_never_makes_the_base_negative_and_other_accounts_do_not_count() -> None:
    entries = [
        paid("payment", date(2020, 5, 20), 500_000),  # more than owed
        paid("payment", date(2020, 5, 20), 999_999, insurance="unemployment"),  # no such line in the liability
        paid("payment", date(2020, 5, 20), 100_000, insurance="medical", part="individual", ref="m"),
    ]
    out = late_fee(liability(), date(2020, 6, 4), LAW, paid=entries)
    assert by_line(out) == {
        ("pension", "employer"): 0,
        ("pension", "individual"): 2_000,
        ("medical", "employer"): 1_750,
        ("medical", "individual"): 0,
    }
    assert [p["insurance"] for p in out["payments"]] == ["medical", "pension"]  # the unemployment one is not counted
    assert (out["paid_fen"], out["unpaid_fen"]) == (600_000, 400_000 + 350_000)


def test_a_deferral_waives_the_employer_part_and_money_paid_meanwhile_counts_once_it_ends() -> None:
    deferral = Deferral("app-1", "2020-03", "2020-08", ("pension",), date(2020, 8, 25))
    entries = [paid("payment", date(2020, 7, 1), 100_000), paid("payment", date(2020, 6, 1), 50_000, part="individual", ref="i")]
    out = late_fee(liability(), date(2020, 8, 30), LAW, [deferral], paid=entries)
    employer = pension_employer(out)
    assert employer["overdue"] == [{"from": "2020-08-26", "to": "2020-08-30", "days": 5, "overdue_fen": 300_000}]
    assert employer["late_fee_fen"] == 750 and employer["deferral"] == "app-1"
    individual = next(x for x in out["lines"] if (x["insurance"], x["part"]) == ("pension", "individual"))
    assert individual["deferral"] is None  # the individual part is never deferred
    assert individual["overdue"][0] == {"from": "2020-05-26", "to": "2020-06-01", "days": 7, "overdue_fen": 400_000}
    assert individual["late_fee_fen"] == 7 * 200 + 90 * 175  # 06-02 … 08-30 on 350,000


def test_the_cap_applies_to_the_largest_overdue_amount() -> None:
    capped = LateFeeParameters(daily_rate="0.0005", cap_at_principal=True)
    entries = [paid("payment", date(2025, 5, 25), 300_000)]  # five years on 400,000, then five on 100,000
    line = pension_employer(late_fee(liability(), date(2030, 5, 25), capped, paid=entries))
    assert (line["late_fee_fen"], line["unpaid_fen"]) == (400_000, 100_000)
    assert pension_employer(late_fee(liability(), date(2030, 5, 25), LAW, paid=entries))["late_fee_fen"] > 400_000
