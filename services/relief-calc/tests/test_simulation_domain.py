"""Policy impact simulation, pure: a draft extending the large-enterprise halving to 2020-12
against the shipped policies; what changes, what does not, totals, order, exclusions, failures."""

from __future__ import annotations

import itertools
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from relief_calc.domain.assessing import DeclarationInput, SizeInput
from relief_calc.domain.policies import default_policy_dir, load_policies, parse_policy
from relief_calc.domain.simulation import SimulationResult, simulate

BASELINE = load_policies(default_policy_dir())
DRAFT_YAML = """
id: draft-large-halved-2020-12
document_number: 草案〔2020〕1号
title: 大型企业等其他参保单位减半征收延长至2020年12月（草案）
issuer: 测算
published: 2020-09-01
kind: relief
periods: {from: 2020-07, to: 2020-12}
overrides: mohrss-2020-11
clauses: [{ref: 第一条, text: 大型企业等其他参保单位三项社会保险单位缴费部分减半征收的政策，延长执行到2020年12月底。}]
amend:
  others-halved: {clause: 第一条, periods: {to: 2020-12}}
"""
DRAFT_POLICY = parse_policy(DRAFT_YAML)
DRAFT = BASELINE.with_policy(DRAFT_POLICY)
NANTONG, WUHAN = "320600", "420100"
THREE = (("pension", "0.16", "0.08"), ("unemployment", "0.005", "0.005"), ("work_injury", "0.004", "0"))
PERIODS = ("2020-03", "2020-05", "2020-07", "2020-09", "2020-12")


def declared(
    n: int, period: str, *, region: str = NANTONG, unit_type: str = "enterprise", status: str = "active", base: int = 1_000_000
) -> DeclarationInput:
    lines: tuple[dict[str, Any], ...] = tuple(
        {"insurance": i, "base_fen": base + n, "employer_rate": e, "individual_rate": p} for i, e, p in THREE
    )
    return DeclarationInput(
        credit_code=f"91320600MA{n:08d}",
        fee_period=period,
        declaration_id=f"d-{n}-{period}",
        revision=1,
        event_id=f"e-{n}-{period}",
        status=status,
        region=region,
        unit_type=unit_type,
        lines=lines,
    )


def sized(size: str | None) -> SizeInput:
    return SizeInput() if size is None else SizeInput(size, "assigned", f"s-{size}")


def population() -> list[tuple[DeclarationInput, SizeInput]]:
    """Every period × (large, small, unknown enterprises, a social organisation, an individual
    business, a public institution) in 南通, a large enterprise in 武汉, and three non-active ones."""
    found = []
    kinds = [
        ("enterprise", "large"),
        ("enterprise", "small"),
        ("enterprise", None),
        ("social_organization", None),
        ("individual_business", None),
        ("public_institution", None),
    ]
    for n, ((unit_type, size), period) in enumerate(itertools.product(kinds, PERIODS)):
        found.append((declared(n, period, unit_type=unit_type), sized(size)))
    found += [(declared(100 + i, p, region=WUHAN), sized("large")) for i, p in enumerate(PERIODS)]
    found += [
        (declared(200, "2020-09", status="held"), sized("large")),
        (declared(201, "2020-09", status="voided"), sized("large")),
        (declared(202, "2020-10", status="rejected"), sized(None)),
    ]
    return found


RESULT = simulate(population(), BASELINE, DRAFT)


def changed_rows(result: SimulationResult) -> list[tuple[str, str, str, str]]:
    return [
        (c.region, c.fee_period, c.insurance, c.size)
        for c in result.rows
        if c.to_json()["difference"] != dict.fromkeys(("employer_relief_fen", "employer_payable_fen", "relieved"), 0)
    ]


def test_the_draft_changes_only_large_and_provisional_units_after_june_outside_hubei() -> None:
    changed = changed_rows(RESULT)
    assert changed, "the draft must change something"
    assert {(region, size) for region, _, _, size in changed} == {(NANTONG, "large"), (NANTONG, "unknown"), (NANTONG, "n/a")}
    assert all(period > "2020-06" for _, period, _, _ in changed)
    assert {period for _, period, _, _ in changed} == {"2020-07", "2020-09", "2020-12"}
    # "n/a" that changed: the social organisation only (individual businesses were exempt already;
    # public institutions never get relief): 3 periods × 3 insurances
    assert sum(c.relief_changed for c in RESULT.rows if c.size == "n/a") == 9
    for cell in RESULT.rows:
        if cell.size in ("small",) or cell.region == WUHAN or cell.fee_period <= "2020-06":
            assert cell.baseline == cell.draft, cell


def test_amounts_of_a_changed_cell_are_the_halving_in_fen() -> None:
    cell = next(c for c in RESULT.rows if (c.fee_period, c.insurance, c.size) == ("2020-09", "pension", "large"))
    original = cell.employer_original_fen
    assert cell.payer_periods == 1 and original == 160_000  # (1,000,000 + 3) fen × 16 %, half-up to the fen
    assert (cell.baseline.employer_relief_fen, cell.baseline.employer_payable_fen, cell.baseline.relieved) == (0, original, 0)
    assert (cell.draft.employer_relief_fen, cell.draft.employer_payable_fen, cell.draft.relieved) == (80_000, 80_000, 1)
    out = cell.to_json()["difference"]
    assert out == {"employer_relief_fen": 80_000, "employer_payable_fen": -80_000, "relieved": 1}
    assert all(isinstance(v, int) for v in out.values())


def test_totals_are_the_sums_of_the_rows_and_count_payer_periods_once() -> None:
    totals = RESULT.totals
    for side in ("baseline", "draft"):
        for name in ("employer_relief_fen", "employer_payable_fen"):
            assert getattr(getattr(totals, side), name) == sum(getattr(getattr(c, side), name) for c in RESULT.rows)
    assert totals.employer_original_fen == sum(c.employer_original_fen for c in RESULT.rows)
    assert totals.payer_periods == 6 * len(PERIODS) + len(PERIODS)  # every active payer-period once, not per insurance
    assert sum(c.payer_periods for c in RESULT.rows) == 3 * totals.payer_periods
    # large, unknown and the social organisation for 07, 09 and 12 went from no relief to halved
    assert totals.relief_changed == totals.payable_changed == 3 * 3
    assert totals.to_json()["difference"]["employer_payable_fen"] < 0


def test_non_active_declarations_are_excluded_and_counted() -> None:
    assert RESULT.excluded == {"held": 1, "voided": 1, "rejected": 1}
    assert "2020-10" not in {c.fee_period for c in RESULT.rows}
    assert RESULT.failed == 0 and RESULT.failures == ()


def test_rows_are_sorted_and_the_result_does_not_depend_on_input_order() -> None:
    keys = [c.sort_key for c in RESULT.rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    shuffled = population()
    random.Random(7).shuffle(shuffled)
    assert simulate(shuffled, BASELINE, DRAFT).to_json() == RESULT.to_json()


@settings(max_examples=25, deadline=None)
@given(st.permutations(population()))
def test_any_order_gives_the_same_json(order: list[tuple[DeclarationInput, SizeInput]]) -> None:
    assert simulate(order, BASELINE, DRAFT).to_json() == RESULT.to_json()


def test_the_same_set_on_both_sides_changes_nothing() -> None:
    result = simulate(population(), BASELINE, BASELINE)
    assert changed_rows(result) == [] and result.totals.relief_changed == result.totals.payable_changed == 0


def test_a_payer_period_that_cannot_be_assessed_is_counted_and_the_others_go_on() -> None:
    bad = declared(300, "2020-09", region="110100")  # a region without parameters here
    dup = declared(301, "2020-09")
    dup = DeclarationInput(**{**dup.__dict__, "lines": dup.lines + dup.lines[:1]})  # pension twice
    result = simulate([*population(), (bad, sized("large")), (dup, sized("large"))], BASELINE, DRAFT)
    assert result.failed == 2
    assert [(f.credit_code, f.fee_period) for f in result.failures] == [
        (bad.credit_code, "2020-09"),
        (dup.credit_code, "2020-09"),
    ]
    assert "pension" in result.failures[1].error
    assert result.totals == RESULT.totals


def test_progress_is_reported_up_to_every_input() -> None:
    seen: list[int] = []
    inputs = population()
    simulate(inputs, BASELINE, DRAFT, progress=seen.append)
    assert seen[-1] == len(inputs) and seen == sorted(seen)
