"""Region-month sums in SQL (免、减、缓联动分析 and the dashboard): the same figures as summing the
per-payer lines (domain.linkage.groups defines them; the tests hold this to it), without loading a
province's lines into memory.

A line's region is its payer's registered region; for a payer not (yet) registered, the region its
liability names, and for a ledger account without a liability line none (""). Ledger accounts
without a fee period (unallocated money) belong to no month. A construction project's line and
account (project ≠ "") count in its first fee period like any other line, joined on the project
too, and are never deferred."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters.tables import accounts, deferrals, liability_lines, payers
from reporting.application.queries import Filter, Key
from reporting.domain.facts import INSURANCE_ORDER
from reporting.domain.linkage import AMOUNTS, COUNTS

L, P, A = liability_lines.c, payers.c, accounts.c
LEDGER = ("due_fen", "paid_fen", "offset_in_fen", "credited_fen", "offset_out_fen", "refunded_fen")


def _deferred() -> sa.Subquery:
    d = deferrals.c
    return sa.select(d.credit_code, d.fee_period, d.insurance).distinct().subquery("deferred")


def _periods(column: sa.ColumnElement[str], f: Filter) -> list[sa.ColumnElement[bool]]:
    out = [column != ""]
    if f.period_from:
        out.append(column >= f.period_from)
    if f.period_to:
        out.append(column <= f.period_to)
    return out


def _payer(column: sa.ColumnElement[str], f: Filter) -> list[sa.ColumnElement[bool]]:
    return [column == f.credit_code] if f.credit_code else []


def _liabilities(f: Filter) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """(sums per region and period, (region, period, payer) rows) of the liability lines."""
    region = sa.func.coalesce(P.region, L.region)
    dd = _deferred()
    deferred = dd.c.credit_code.is_not(None)
    source = liability_lines.outerjoin(payers, P.credit_code == L.credit_code).outerjoin(
        dd,
        sa.and_(
            dd.c.credit_code == L.credit_code, dd.c.fee_period == L.fee_period, dd.c.insurance == L.insurance, L.project == ""
        ),
    )
    where = _periods(L.fee_period, f) + ([region == f.region] if f.region else []) + _payer(L.credit_code, f)

    def who(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.count(sa.distinct(sa.case((condition, L.credit_code))))

    sums = (
        sa.select(
            region.label("region"), L.fee_period.label("fee_period"),
            sa.func.sum(L.employer_original_fen).label("original_fen"), sa.func.sum(L.exempt_fen).label("exempt_fen"),
            sa.func.sum(L.halved_fen).label("halved_fen"),
            sa.func.sum(sa.case((deferred, L.employer_payable_fen), else_=0)).label("deferred_fen"),
            sa.func.sum(L.employer_payable_fen).label("payable_fen"),
            sa.func.sum(L.individual_fen).label("individual_fen"),
            who(L.exempt_fen != 0).label("exempt_payers"),
            who(L.halved_fen != 0).label("halved_payers"),
            who(sa.and_(deferred, L.employer_payable_fen != 0)).label("deferred_payers"),
        )
        .select_from(source).where(*where).group_by(region, L.fee_period)
    )  # fmt: skip
    members = sa.select(region.label("region"), L.fee_period.label("fee_period"), L.credit_code.label("credit_code"))
    return sums, members.select_from(source).where(*where)


def _ledger(f: Filter) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """(sums per region and period, (region, period, payer) rows) of the ledger accounts."""
    line = liability_lines.alias("line")
    region = sa.func.coalesce(P.region, line.c.region, "")
    source = accounts.outerjoin(payers, P.credit_code == A.credit_code).outerjoin(
        line,
        sa.and_(
            line.c.credit_code == A.credit_code,
            line.c.fee_period == A.fee_period,
            line.c.insurance == A.insurance,
            line.c.project == A.project,
        ),
    )
    where = _periods(A.fee_period, f) + ([region == f.region] if f.region else []) + _payer(A.credit_code, f)
    sums = (
        sa.select(region.label("region"), A.fee_period.label("fee_period"), *(sa.func.sum(A[k]).label(k) for k in LEDGER))
        .select_from(source)
        .where(*where)
        .group_by(region, A.fee_period)
    )
    members = sa.select(region.label("region"), A.fee_period.label("fee_period"), A.credit_code.label("credit_code"))
    return sums, members.select_from(source).where(*where)


async def region_months(session: AsyncSession, f: Filter) -> list[dict[str, Any]]:
    """Per (region, fee period): AMOUNTS and COUNTS as domain.linkage.groups sums them."""
    out: dict[tuple[str, str], dict[str, Any]] = {}

    def row(region: str, period: str) -> dict[str, Any]:
        return out.setdefault(
            (region, period), {"region": region, "fee_period": period, **dict.fromkeys(AMOUNTS, 0), **dict.fromkeys(COUNTS, 0)}
        )

    liability_sums, liability_members = _liabilities(f)
    ledger_sums, ledger_members = _ledger(f)
    for sums in (liability_sums, ledger_sums):
        for r in (await session.execute(sums)).mappings():
            row(r["region"], r["fee_period"]).update({k: int(v or 0) for k, v in r.items() if k not in ("region", "fee_period")})
    members = sa.union(liability_members, ledger_members).subquery("members")
    counted = sa.select(members.c.region, members.c.fee_period, sa.func.count().label("payers")).group_by(
        members.c.region, members.c.fee_period
    )
    for r in (await session.execute(counted)).mappings():
        row(r["region"], r["fee_period"])["payers"] = int(r["payers"])
    for r in out.values():
        r["outstanding_fen"] = r["due_fen"] - r["paid_fen"] - r["offset_in_fen"] + r["credited_fen"]
    return list(out.values())


async def line_keys(session: AsyncSession, f: Filter, offset: int, limit: int) -> tuple[list[Key], bool]:
    """One page of the per-payer report's keys (payer, period, insurance, project) in its order
    (period, payer, insurance as INSURANCE_ORDER, project: the monthly line first), and whether more follow."""
    _, liability_members = _liabilities(f)
    _, ledger_members = _ledger(f)
    keys = sa.union(
        liability_members.with_only_columns(L.credit_code, L.fee_period, L.insurance, L.project),
        ledger_members.with_only_columns(A.credit_code, A.fee_period, A.insurance, A.project),
    ).subquery("keys")
    rank = sa.case({ins: i for i, ins in enumerate(INSURANCE_ORDER)}, value=keys.c.insurance, else_=len(INSURANCE_ORDER))
    q = (
        sa.select(keys.c.credit_code, keys.c.fee_period, keys.c.insurance, keys.c.project)
        .order_by(keys.c.fee_period, keys.c.credit_code, rank, keys.c.insurance, keys.c.project)
        .offset(offset)
        .limit(limit + 1)
    )
    rows = [(r[0], r[1], r[2], r[3]) for r in (await session.execute(q)).all()]
    return rows[:limit], len(rows) > limit
