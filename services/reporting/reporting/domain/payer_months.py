"""按月分户减免核算: per payer, fee period and insurance, the liability (original, relief by kind,
payable: employer part; the individual part) beside the ledger (due, paid, offset, refunded,
outstanding: both parts), and the deferred amount (the employer payable of a deferred
insurance-period). One line per (payer, period, insurance) that has a liability or a ledger account.

A construction project insured per project (工程建设项目按项目参保) is a line of its own, its code in
项目 (empty on monthly lines): its premium, relief and payable beside its own ledger account, in
its first fee period (the month it started, where relief-calc and the refund ledger put it); never
deferred (a deferral covers a payer's monthly contributions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reporting.domain.facts import INSURANCE_ZH, RELIEF_ZH, AccountFact, LiabilityFact, PayerFact, insurance_rank
from reporting.domain.table import Column, Table, summed

TITLE = "按月分户减免核算"
COLUMNS = (
    Column("credit_code", "统一社会信用代码"),
    Column("payer_name", "单位名称"),
    Column("region", "统筹区"),
    Column("fee_period", "费款所属期"),
    Column("insurance_name", "险种"),
    Column("project", "项目"),
    Column("relief_name", "减免方式"),
    Column("original_fen", "单位原应缴（元）", "yuan"),
    Column("exempt_fen", "免征额（元）", "yuan"),
    Column("halved_fen", "减征额（元）", "yuan"),
    Column("payable_fen", "单位应缴（元）", "yuan"),
    Column("individual_fen", "个人应缴（元）", "yuan"),
    Column("deferred_fen", "缓缴额（元）", "yuan"),
    Column("due_fen", "应缴合计（元）", "yuan"),
    Column("paid_fen", "已缴（元）", "yuan"),
    Column("offset_in_fen", "抵缴（元）", "yuan"),
    Column("credited_fen", "溢缴转出（元）", "yuan"),
    Column("offset_out_fen", "溢缴抵他期（元）", "yuan"),
    Column("refunded_fen", "已退费（元）", "yuan"),
    Column("outstanding_fen", "欠缴（元）", "yuan"),
)
LEDGER_KEYS = ("due_fen", "paid_fen", "offset_in_fen", "credited_fen", "offset_out_fen", "refunded_fen")


def lines(
    liabilities: Iterable[LiabilityFact],
    accounts: Iterable[AccountFact],
    payers: Mapping[str, PayerFact],
    deferred: set[tuple[str, str, str]],
) -> list[dict[str, Any]]:
    """The report's lines in a stable order (period, payer, insurance, project: monthly first); raw values, fen."""
    out: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def line(credit_code: str, fee_period: str, insurance: str, project: str, region: str) -> dict[str, Any]:
        key = (credit_code, fee_period, insurance, project)
        if key not in out:
            payer = payers.get(credit_code)
            out[key] = {
                "credit_code": credit_code, "payer_name": payer.name if payer else "", "region": payer.region if payer else region,
                "fee_period": fee_period, "insurance": insurance, "insurance_name": INSURANCE_ZH.get(insurance, insurance),
                "project": project,
                "relief": None, "relief_name": "", "original_fen": 0, "exempt_fen": 0, "halved_fen": 0, "payable_fen": 0,
                "individual_fen": 0, "deferred_fen": 0, **dict.fromkeys(LEDGER_KEYS, 0), "outstanding_fen": 0,
            }  # fmt: skip
        return out[key]

    for li in liabilities:
        row = line(li.credit_code, li.fee_period, li.insurance, li.project, li.region)
        deferred_line = not li.project and (li.credit_code, li.fee_period, li.insurance) in deferred
        row.update(
            relief=li.relief, relief_name=RELIEF_ZH.get(li.relief, li.relief), original_fen=li.original_fen,
            exempt_fen=li.exempt_fen, halved_fen=li.halved_fen, payable_fen=li.payable_fen, individual_fen=li.individual_fen,
            deferred_fen=li.payable_fen if deferred_line else 0,
        )  # fmt: skip
    for a in accounts:
        if not a.fee_period:  # the unallocated account belongs to no month
            continue
        row = line(a.credit_code, a.fee_period, a.insurance, a.project, "")
        for k in LEDGER_KEYS:
            row[k] += getattr(a, k)
        row["outstanding_fen"] += a.outstanding_fen
    return [out[k] for k in sorted(out, key=lambda k: (k[1], k[0], insurance_rank(k[2]), k[2], k[3]))]


def table(rows: list[dict[str, Any]], meta: Mapping[str, Any]) -> Table:
    totals = summed(COLUMNS, rows, ("credit_code", "合计"))
    return Table(TITLE, COLUMNS, tuple(rows), totals, meta)
