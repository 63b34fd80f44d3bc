"""Reading the facts of a report from the read model, for a filter (regions, fee periods, payer).

Region: a payer's pooling region from the registry (declaration), else the region its liability
names. The ledger's unallocated account (fee period "") belongs to no month and is left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters.tables import accounts, declared_lines, deferrals, liability_lines, payers, policies
from reporting.domain.facts import AccountFact, DeclaredFact, LiabilityFact, PayerFact
from reporting.domain.medical import PolicyFact


@dataclass(frozen=True)
class Filter:
    region: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    credit_code: str | None = None


@dataclass(frozen=True)
class Facts:
    liabilities: list[LiabilityFact]
    accounts: list[AccountFact]
    payers: dict[str, PayerFact]
    deferred: set[tuple[str, str, str]]


Key = tuple[str, str, str, str]  # (payer, fee period, insurance, project): one line of the per-payer report


def _liability(r: Any) -> LiabilityFact:
    return LiabilityFact(
        r.credit_code, r.fee_period, r.insurance, r.region, r.relief, r.employer_original_fen, r.employer_relief_fen,
        r.employer_payable_fen, r.individual_fen, r.basis_policy, r.basis_document, r.project, (r.exempt_fen, r.halved_fen),
    )  # fmt: skip


def _account(r: Any) -> AccountFact:
    return AccountFact(
        r.credit_code, r.fee_period, r.insurance, r.part, r.due_fen, r.paid_fen, r.offset_in_fen, r.credited_fen,
        r.offset_out_fen, r.refunded_fen, r.project,
    )  # fmt: skip


def _periods(table: sa.Table, f: Filter) -> list[sa.ColumnElement[bool]]:
    out = [table.c.fee_period != ""]
    if f.period_from:
        out.append(table.c.fee_period >= f.period_from)
    if f.period_to:
        out.append(table.c.fee_period <= f.period_to)
    if f.credit_code:
        out.append(table.c.credit_code == f.credit_code)
    return out


def _in_region(table: sa.Table, region: str) -> sa.ColumnElement[bool]:
    """The row's payer is of `region` (registry), or unregistered and its liability names `region`."""
    registered = sa.select(payers.c.credit_code).where(payers.c.region == region)
    liable = sa.select(liability_lines.c.credit_code).where(liability_lines.c.region == region)
    unknown = sa.not_(table.c.credit_code.in_(sa.select(payers.c.credit_code)))
    return sa.or_(table.c.credit_code.in_(registered), sa.and_(unknown, table.c.credit_code.in_(liable)))


async def facts(session: AsyncSession, f: Filter) -> Facts:
    def where(table: sa.Table) -> list[sa.ColumnElement[bool]]:
        return _periods(table, f) + ([_in_region(table, f.region)] if f.region else [])

    li = liability_lines.c
    liabilities = [
        _liability(r)
        for r in await session.execute(
            sa.select(liability_lines).where(*where(liability_lines)).order_by(li.credit_code, li.fee_period)
        )
    ]
    acc = [_account(r) for r in await session.execute(sa.select(accounts).where(*where(accounts)))]
    codes = {x.credit_code for x in liabilities} | {x.credit_code for x in acc}
    known = {
        r.credit_code: PayerFact(r.credit_code, r.name, r.region)
        for r in await session.execute(sa.select(payers).where(payers.c.credit_code.in_(sorted(codes))))
    }
    deferred = {
        (r.credit_code, r.fee_period, r.insurance) for r in await session.execute(sa.select(deferrals).where(*where(deferrals)))
    }
    return Facts(liabilities, acc, known, deferred)


async def declared(session: AsyncSession, credit_codes: Sequence[str], month: str) -> list[DeclaredFact]:
    q = sa.select(declared_lines).where(
        declared_lines.c.credit_code.in_(sorted(credit_codes)), declared_lines.c.fee_period == month
    )
    return [
        DeclaredFact(r.credit_code, r.fee_period, r.insurance, r.headcount, r.employer_rate, r.employer_original_rate)
        for r in await session.execute(q)
    ]


async def policy_facts(session: AsyncSession) -> dict[str, PolicyFact]:
    return {
        r.policy_id: PolicyFact(r.policy_id, r.document_number, r.published, r.period_from, r.period_to)
        for r in await session.execute(sa.select(policies))
    }


async def facts_of(session: AsyncSession, keys: Sequence[Key]) -> Facts:
    """The facts of exactly these (payer, period, insurance, project) lines (one page of the per-payer report)."""
    wanted = set(keys)
    codes, periods = sorted({k[0] for k in keys}), sorted({k[1] for k in keys})

    def of(table: sa.Table) -> sa.Select[Any]:
        return sa.select(table).where(table.c.credit_code.in_(codes), table.c.fee_period.in_(periods))

    liabilities = [
        _liability(r)
        for r in await session.execute(of(liability_lines))
        if (r.credit_code, r.fee_period, r.insurance, r.project) in wanted
    ]
    acc = [
        _account(r)
        for r in await session.execute(of(accounts))
        if (r.credit_code, r.fee_period, r.insurance, r.project) in wanted
    ]
    known = {
        r.credit_code: PayerFact(r.credit_code, r.name, r.region)
        for r in await session.execute(sa.select(payers).where(payers.c.credit_code.in_(codes)))
    }
    deferred = {(r.credit_code, r.fee_period, r.insurance) for r in await session.execute(of(deferrals))} & {
        k[:3] for k in wanted if not k[3]
    }
    return Facts(liabilities, acc, known, deferred)
