"""职工医保阶段性减征医保费统计表 (DOMAIN.md §6): one city (pooling region) and one month.

From the read model: the policy documents behind the month's halved medical lines (number,
publication date, window), the employer rate before and after (the declared rate before any phased
cut, the most frequent among the payers concerned; after = half of it while halved), the payers
concerned (those with a medical relief that month), their insured employees (the medical
headcount declared), the payers whose medical credit of that month was refunded or offset, and
the amount reduced. From the officer: the fund's balance at the end of the last month and last
month's income and spending (reporting.MedicalFundFiguresRecorded), in 万元 as the form asks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reporting.domain.facts import AccountFact, DeclaredFact, LiabilityFact
from reporting.domain.money import halved_rate
from reporting.domain.table import Column, Table

TITLE = "职工医保阶段性减征医保费统计表"
MEDICAL = "medical"
COLUMNS = (
    Column("region", "统筹区"),
    Column("region_name", "城市"),
    Column("month", "月份"),
    Column("documents", "政策文件"),
    Column("published", "发布日期"),
    Column("window", "减征期限"),
    Column("rate_before", "减征前单位费率", "rate"),
    Column("rate_after", "减征后单位费率", "rate"),
    Column("fund_balance_fen", "上月末统筹基金累计结存（万元）", "wan_yuan"),
    Column("fund_income_fen", "上月统筹基金收入（万元）", "wan_yuan"),
    Column("fund_spending_fen", "上月统筹基金支出（万元）", "wan_yuan"),
    Column("enterprises", "涉及企业数", "count"),
    Column("employees", "参保职工人数", "count"),
    Column("enterprises_settled", "已退费或抵缴企业数", "count"),
    Column("reduced_fen", "减征金额（万元）", "wan_yuan"),
)


@dataclass(frozen=True)
class PolicyFact:
    policy_id: str
    document_number: str
    published: str
    period_from: str | None
    period_to: str | None


@dataclass(frozen=True)
class FundFigures:
    balance_fen: int
    income_fen: int
    spending_fen: int


def _rate_before(declared: Iterable[DeclaredFact]) -> str | None:
    rates = Counter(d.employer_original_rate or d.employer_rate for d in declared)
    if not rates:
        return None
    top = max(rates.values())
    return min((r for r, n in rates.items() if n == top), key=Decimal)


def row(
    *,
    region: str,
    region_name: str,
    month: str,
    liabilities: Iterable[LiabilityFact],
    declared: Iterable[DeclaredFact],
    accounts: Iterable[AccountFact],
    policies: Mapping[str, PolicyFact],
    fund: FundFigures | None,
) -> dict[str, Any]:
    relieved = [li for li in liabilities if li.insurance == MEDICAL and li.fee_period == month and li.relief_fen > 0]
    concerned = {li.credit_code for li in relieved}
    lines = [d for d in declared if d.insurance == MEDICAL and d.fee_period == month and d.credit_code in concerned]
    settled = {
        a.credit_code
        for a in accounts
        if a.insurance == MEDICAL
        and a.fee_period == month
        and a.credit_code in concerned
        and (a.refunded_fen or a.offset_out_fen)
    }
    used = sorted(
        {li.basis_policy for li in relieved if li.basis_policy},
        key=lambda p: (policies[p].published, p) if p in policies else ("", p),
    )
    documents = [policies[p] for p in used if p in policies]
    before = _rate_before(lines)
    halved = any(li.relief == "halved" for li in relieved)
    windows = sorted({f"{d.period_from}至{d.period_to}" for d in documents if d.period_from and d.period_to})
    return {
        "region": region, "region_name": region_name, "month": month,
        "documents": "；".join(d.document_number for d in documents) or "；".join(sorted({li.basis_document or "" for li in relieved} - {""})),
        "published": "；".join(d.published for d in documents), "window": "；".join(windows),
        "policies": [d.policy_id for d in documents],
        "rate_before": before, "rate_after": halved_rate(before) if before and halved else before,
        "fund_balance_fen": fund.balance_fen if fund else None, "fund_income_fen": fund.income_fen if fund else None,
        "fund_spending_fen": fund.spending_fen if fund else None, "fund_entered": fund is not None,
        "enterprises": len(concerned), "employees": sum(d.headcount for d in lines), "enterprises_settled": len(settled),
        "reduced_fen": sum(li.relief_fen for li in relieved),
    }  # fmt: skip


def table(data: dict[str, Any], meta: Mapping[str, Any]) -> Table:
    """The form of one `row` (whose fund figures are already None when none were entered)."""
    return Table(TITLE, COLUMNS, (data,), None, {**meta, "fund_entered": data["fund_entered"]})
