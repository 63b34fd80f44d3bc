"""免、减、缓联动分析: per pooling region and fee period, the revenue against exemption (免征),
halving (减半征收) and deferral (缓缴), with the number of payers concerned and the change against
the previous month (环比) of the same region.

Revenue (征收入库, net) = what was due less what is still outstanding = paid + offset in − credited
(money that stayed on the period's accounts); refunded and offset out are shown beside it. All
sums are over the lines of the per-payer report, so its totals are that report's totals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from refdata.periods import FeePeriod
from reporting.domain.table import Column, Table, change, summed

TITLE = "免减缓联动分析"
AMOUNTS = (
    "original_fen", "exempt_fen", "halved_fen", "deferred_fen", "payable_fen", "individual_fen", "due_fen", "paid_fen",
    "offset_in_fen", "credited_fen", "offset_out_fen", "refunded_fen", "outstanding_fen",
)  # fmt: skip
COMPARED = ("revenue_fen", "exempt_fen", "halved_fen", "deferred_fen")
COLUMNS = (
    Column("region", "统筹区"),
    Column("region_name", "统筹区名称"),
    Column("fee_period", "费款所属期"),
    Column("payers", "缴费单位数", "count"),
    Column("exempt_payers", "免征单位数", "count"),
    Column("halved_payers", "减征单位数", "count"),
    Column("deferred_payers", "缓缴单位数", "count"),
    Column("original_fen", "单位原应缴（元）", "yuan"),
    Column("exempt_fen", "免征额（元）", "yuan"),
    Column("halved_fen", "减征额（元）", "yuan"),
    Column("deferred_fen", "缓缴额（元）", "yuan"),
    Column("payable_fen", "单位应缴（元）", "yuan"),
    Column("due_fen", "应缴合计（元）", "yuan"),
    Column("revenue_fen", "征收入库（元）", "yuan"),
    Column("paid_fen", "已缴（元）", "yuan"),
    Column("offset_in_fen", "抵缴（元）", "yuan"),
    Column("credited_fen", "溢缴转出（元）", "yuan"),
    Column("offset_out_fen", "溢缴抵他期（元）", "yuan"),
    Column("refunded_fen", "已退费（元）", "yuan"),
    Column("outstanding_fen", "欠缴（元）", "yuan"),
    Column("revenue_change", "收入环比", "change"),
    Column("exempt_change", "免征环比", "change"),
    Column("halved_change", "减征环比", "change"),
    Column("deferred_change", "缓缴环比", "change"),
)


COUNTS = ("payers", "exempt_payers", "halved_payers", "deferred_payers")


def groups(payer_lines: Iterable[Mapping[str, Any]], region_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every (region, period) of the per-payer lines, summed, then `finished`. (The service sums in
    SQL, application.aggregates, to the same rows; this is its definition and what the tests hold
    the SQL to.)"""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    seen: dict[tuple[str, str], dict[str, set[str]]] = {}
    for line in payer_lines:
        key = (line["region"], line["fee_period"])
        if key not in out:
            out[key] = {"region": key[0], "fee_period": key[1], **dict.fromkeys(AMOUNTS, 0)}
            seen[key] = {k: set() for k in COUNTS}
        row, who = out[key], seen[key]
        for k in AMOUNTS:
            row[k] += line[k]
        who["payers"].add(line["credit_code"])
        for kind in ("exempt", "halved", "deferred"):
            if line[f"{kind}_fen"]:
                who[f"{kind}_payers"].add(line["credit_code"])
    for key, row in out.items():
        row.update({k: len(v) for k, v in seen[key].items()})
    return finished(list(out.values()), region_names)


def finished(sums: Iterable[Mapping[str, Any]], region_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Region-month sums (AMOUNTS and COUNTS) completed with the region's name, the revenue and the
    环比 against the same region's previous period when that period is among them (else ``—``);
    ordered by region, then period."""
    out = {(r["region"], r["fee_period"]): dict(r) for r in sums}
    for (region, _), row in out.items():
        row["region_name"] = region_names.get(region, "")
        row["revenue_fen"] = row["paid_fen"] + row["offset_in_fen"] - row["credited_fen"]
    for (region, period), row in out.items():
        previous = out.get((region, str(FeePeriod.parse(period).prev())))
        for k in COMPARED:
            row[k.replace("_fen", "_change")] = change(row[k], previous[k] if previous else None)
    return [out[k] for k in sorted(out)]


def table(rows: list[dict[str, Any]], meta: Mapping[str, Any]) -> Table:
    totals = summed(COLUMNS, rows, ("region", "合计"))
    totals["payers"] = None  # a payer counts once per month: the months' counts do not add up
    for k in ("exempt_payers", "halved_payers", "deferred_payers"):
        totals[k] = None
    return Table(TITLE, COLUMNS, tuple(rows), totals, meta)
