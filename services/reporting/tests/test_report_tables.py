"""The report tables as pure functions over the read model's facts (no I/O): per payer-month lines
joining liability and ledger, the region-month groups with 环比, the medical table's line, and
the printed cells with their 合计 row."""

from __future__ import annotations

from reporting.adapters.liabilities import by_kind
from reporting.domain import linkage, medical, payer_months
from reporting.domain.facts import AccountFact, DeclaredFact, LiabilityFact, PayerFact

A, B = "91320600MA0001RPAX", "91320600MA0002RPBX"
PAYERS = {A: PayerFact(A, "甲", "320600"), B: PayerFact(B, "乙", "320600")}


def liability(
    code: str, period: str, insurance: str, relief: str, original: int, payable: int, policy: str | None = None
) -> LiabilityFact:
    return LiabilityFact(code, period, insurance, "320600", relief, original, original - payable, payable, 100, policy, None)


def test_payer_lines_join_liability_ledger_and_deferral() -> None:
    lines = payer_months.lines(
        [liability(A, "2020-03", "pension", "exempt", 800, 0), liability(B, "2020-03", "pension", "halved", 1000, 500)],
        [
            AccountFact(A, "2020-03", "pension", "individual", due_fen=100, paid_fen=100),
            AccountFact(B, "2020-03", "pension", "employer", due_fen=500, paid_fen=200),
            AccountFact(B, "2020-03", "pension", "individual", due_fen=100, paid_fen=100),
            AccountFact(B, "", "", "unallocated", paid_fen=7, credited_fen=7),  # no month: left out
            AccountFact(B, "2020-04", "medical", "employer", due_fen=30),  # a ledger account without a liability line
        ],
        PAYERS,
        {(B, "2020-03", "pension")},
    )
    assert [(x["credit_code"], x["fee_period"], x["insurance"]) for x in lines] == [
        (A, "2020-03", "pension"), (B, "2020-03", "pension"), (B, "2020-04", "medical"),
    ]  # fmt: skip
    a, b, b_medical = lines
    assert (a["exempt_fen"], a["halved_fen"], a["deferred_fen"], a["relief_name"]) == (800, 0, 0, "免征")
    assert (b["exempt_fen"], b["halved_fen"], b["deferred_fen"], b["due_fen"], b["paid_fen"], b["outstanding_fen"]) == (
        0,
        500,
        500,
        600,
        300,
        300,
    )
    assert (b_medical["relief"], b_medical["due_fen"], b_medical["region"]) == (None, 30, "320600")
    table = payer_months.table(lines, {})
    assert table.totals is not None and table.totals["paid_fen"] == 400 and table.totals["credit_code"] == "合计"
    cells = table.cells()
    assert cells[1][table.headers().index("缓缴额（元）")] == "5.00" and cells[-1][0] == "合计"


def test_linkage_groups_by_region_and_period_with_the_change_against_the_month_before() -> None:
    lines = payer_months.lines(
        [
            liability(A, "2020-02", "pension", "exempt", 800, 0),
            liability(A, "2020-03", "pension", "exempt", 1000, 0),
            liability(B, "2020-03", "pension", "halved", 1000, 500),
        ],
        [AccountFact(B, "2020-03", "pension", "employer", due_fen=500, paid_fen=500)],
        PAYERS,
        set(),
    )
    groups = linkage.groups(lines, {"320600": "南通市"})
    feb, mar = groups
    assert (feb["payers"], feb["exempt_payers"], feb["exempt_fen"], feb["exempt_change"]) == (1, 1, 800, "—")
    assert (mar["payers"], mar["exempt_fen"], mar["halved_fen"], mar["halved_payers"]) == (2, 1000, 500, 1)
    assert mar["exempt_change"] == "+25.00%" and mar["halved_change"] == "—" and mar["revenue_fen"] == 500
    table = linkage.table(groups, {})
    assert table.totals is not None and table.totals["exempt_fen"] == 1800 and table.totals["payers"] is None


def test_medical_line_counts_the_payers_concerned_and_prints_wan_yuan() -> None:
    facts = [
        liability(A, "2020-02", "medical", "halved", 350_000, 175_000, "js-14"),
        liability(B, "2020-02", "medical", "halved", 70_000, 35_000, "js-14"),
        liability(B, "2020-02", "pension", "exempt", 999, 0, "other"),
    ]
    declared = [
        DeclaredFact(A, "2020-02", "medical", 10, "0.07"),
        DeclaredFact(B, "2020-02", "medical", 4, "0.07", None),
        DeclaredFact(B, "2020-02", "pension", 4, "0.16"),
    ]
    accounts = [AccountFact(A, "2020-02", "medical", "employer", credited_fen=175_000, refunded_fen=175_000)]
    policies = {"js-14": medical.PolicyFact("js-14", "苏医保发〔2020〕14号", "2020-02-28", "2020-02", "2020-06")}
    row = medical.row(
        region="320600", region_name="南通市", month="2020-02", liabilities=facts, declared=declared, accounts=accounts,
        policies=policies, fund=medical.FundFigures(5_000_000_000, 300_000_000, 250_000_000),
    )  # fmt: skip
    assert (row["enterprises"], row["employees"], row["enterprises_settled"], row["reduced_fen"]) == (2, 14, 1, 210_000)
    assert (row["documents"], row["window"], row["rate_before"], row["rate_after"]) == (
        "苏医保发〔2020〕14号",
        "2020-02至2020-06",
        "0.07",
        "0.035",
    )
    cells = dict(zip(medical.table(row, {}).headers(), medical.table(row, {}).cells()[0], strict=True))
    assert cells["减征金额（万元）"] == "0.2100" and cells["上月末统筹基金累计结存（万元）"] == "5000.0000"
    assert cells["减征前单位费率"] == "7%" and cells["减征后单位费率"] == "3.5%"


def test_the_rate_before_is_the_pre_cut_rate_most_payers_declared() -> None:
    facts = [liability(c, "2020-03", "medical", "halved", 800, 400) for c in (A, B)]
    declared = [
        DeclaredFact(A, "2020-03", "medical", 1, "0.07", "0.08"),
        DeclaredFact(B, "2020-03", "medical", 1, "0.07", "0.08"),
    ]
    row = medical.row(
        region="320583",
        region_name="",
        month="2020-03",
        liabilities=facts,
        declared=declared,
        accounts=[],
        policies={},
        fund=None,
    )
    assert (row["rate_before"], row["rate_after"], row["fund_entered"]) == ("0.08", "0.04", False)


def test_a_project_is_a_line_of_its_own_in_its_first_month_never_deferred() -> None:
    """A's monthly work injury and its construction project (same payer, month, insurance) stay two
    lines; the project's relief is split by kind as the read model stores it; a deferral of the
    month's work injury defers the monthly line only."""
    project = LiabilityFact(A, "2020-03", "work_injury", "320600", "exempt", 1_200_000, 1_000_000, 200_000, 0, project="P1")
    mixed = LiabilityFact(
        A, "2020-03", "work_injury", "320600", "mixed", 1_200, 700, 500, 0, project="P2", kinds=by_kind(
            "mixed", 700, premium_fen=1_200, planned=12, exempt_months=2
        ),
    )  # fmt: skip
    lines = payer_months.lines(
        [liability(A, "2020-03", "work_injury", "exempt", 300, 0), project, mixed],
        [
            AccountFact(A, "2020-03", "work_injury", "employer", due_fen=200_000, paid_fen=1_200_000, project="P1"),
            AccountFact(A, "2020-03", "work_injury", "employer", credited_fen=1_000_000, refunded_fen=1_000_000, project="P1"),
        ],
        PAYERS,
        {(A, "2020-03", "work_injury")},
    )
    monthly, p1, p2 = lines
    assert [x["project"] for x in lines] == ["", "P1", "P2"]
    assert (monthly["exempt_fen"], monthly["deferred_fen"], monthly["due_fen"]) == (300, 0, 0)
    assert (p1["original_fen"], p1["exempt_fen"], p1["payable_fen"], p1["deferred_fen"]) == (1_200_000, 1_000_000, 200_000, 0)
    assert (p1["due_fen"], p1["paid_fen"], p1["refunded_fen"], p1["outstanding_fen"]) == (200_000, 1_200_000, 1_000_000, 0)
    # mixed: 2 exempt months of 12 → 200 exempt, the rest of the 700 halved
    assert (p2["exempt_fen"], p2["halved_fen"], p2["relief_name"]) == (200, 500, "免征及减半征收")
    groups = linkage.groups(lines, {})
    assert [(g["exempt_fen"], g["halved_fen"], g["exempt_payers"], g["payers"]) for g in groups] == [(1_000_500, 500, 1, 1)]
    assert payer_months.table(lines, {}).cells()[1][payer_months.table(lines, {}).headers().index("项目")] == "P1"
    assert by_kind("halved", 50) == (0, 50) and by_kind("none", 0) == (0, 0)
