"""Projection `liabilities` (relief.events → rp_liability_lines, rp_deferrals): each payer-period's
liability as it now stands, per insurance (employer original, relief and payable, the individual
part, the relief kind and the policy behind it), and the approved deferrals (缓缴) per
payer-period-insurance. A reassessment replaces the period's lines; a withdrawal removes them.

A construction project insured per project (relief.ProjectLiability*, 工程建设项目按项目参保) is one
work-injury line of its own: key (contractor, first month, work_injury, project code), premium as
the original, relief split by kind, payable; no individual part. A monthly line has project "".
Its reassessment replaces the project's line (wherever a correction moved its first month)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from refdata.periods import FeePeriod
from reporting.adapters import readers as r
from reporting.adapters.rows import replace, upsert
from reporting.adapters.tables import deferrals, liability_lines
from reporting.adapters.topics import RELIEF_TOPIC


def _months(first: str, last: str) -> list[str]:
    return [str(p) for p in FeePeriod.range(first, last)]


def by_kind(relief: str, relief_fen: int, *, premium_fen: int = 0, planned: int = 1, exempt_months: int = 0) -> tuple[int, int]:
    """(exempt, halved) parts of a relief. A project of both kinds (``mixed``, which the 2020 rules
    never produce): the exempt months' share of the premium rounded half-up, the rest halved."""
    if relief == "exempt":
        return relief_fen, 0
    if relief == "halved":
        return 0, relief_fen
    if relief == "mixed":
        exempt = int((Decimal(premium_fen * exempt_months) / planned).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        exempt = min(exempt, relief_fen)
        return exempt, relief_fen - exempt
    return 0, 0


def _project_row(p: r.ProjectLiability) -> dict[str, Any]:
    exempt, halved = by_kind(
        p.relief, p.relief_fen, premium_fen=p.premium_fen, planned=p.planned_months, exempt_months=p.months_exempt
    )
    return {
        "fee_period": p.fee_period, "insurance": p.insurance, "region": p.region, "unit_type": p.unit_type,
        "status": p.status, "relief": p.relief, "basis_policy": p.basis[0] if p.basis else None, "basis_document": None,
        "employer_original_fen": p.premium_fen, "employer_relief_fen": p.relief_fen, "exempt_fen": exempt,
        "halved_fen": halved, "employer_payable_fen": p.payable_fen, "individual_fen": 0,
    }  # fmt: skip


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    if isinstance(e, r.ProjectLiabilityAssessed | r.ProjectLiabilityReassessed):
        p = e.liability
        await replace(session, liability_lines, {"credit_code": p.credit_code, "project": p.project_code}, [_project_row(p)])
        return
    if isinstance(e, r.LiabilityAssessed | r.LiabilityReassessed):
        li = e.liability
        rows = [
            {
                "insurance": x.insurance, "region": li.region, "unit_type": li.unit_type, "status": li.status,
                "relief": x.relief, "basis_policy": x.basis.policy if x.basis else None,
                "basis_document": x.basis.document if x.basis else None,
                "employer_original_fen": x.employer_original_fen, "employer_relief_fen": x.employer_relief_fen,
                **dict(zip(("exempt_fen", "halved_fen"), by_kind(x.relief, x.employer_relief_fen), strict=True)),
                "employer_payable_fen": x.employer_payable_fen, "individual_fen": x.individual_fen,
            }
            for x in li.lines
        ]  # fmt: skip
        monthly = {"credit_code": li.credit_code, "fee_period": li.fee_period, "project": ""}
        await replace(session, liability_lines, monthly, rows)
    elif isinstance(e, r.LiabilityWithdrawn):
        monthly = {"credit_code": e.credit_code, "fee_period": e.fee_period, "project": ""}
        await replace(session, liability_lines, monthly, [])
    elif isinstance(e, r.DeferralApproved):
        for period in _months(e.first_period, e.last_period):
            for insurance in e.insurances:
                keys = {
                    "credit_code": e.credit_code,
                    "fee_period": period,
                    "insurance": insurance,
                    "application_id": e.application_id,
                }
                await upsert(session, deferrals, keys, {"region": e.region})


def projection() -> Projection:
    return Projection(
        name="liabilities",
        topics=(RELIEF_TOPIC,),
        tables=(liability_lines, deferrals),
        handler=apply,
        registry=r.relief_registry,
        ignore=("relief.",),
    )
