"""Projection `liabilities` (relief.events → rp_liability_lines, rp_deferrals): each payer-period's
liability as it now stands, per insurance (employer original, relief and payable, the individual
part, the relief kind and the policy behind it), and the approved deferrals (缓缴) per
payer-period-insurance. A reassessment replaces the period's lines; a withdrawal removes them."""

from __future__ import annotations

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


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    if isinstance(e, r.LiabilityAssessed | r.LiabilityReassessed):
        li = e.liability
        rows = [
            {
                "insurance": x.insurance, "region": li.region, "unit_type": li.unit_type, "status": li.status,
                "relief": x.relief, "basis_policy": x.basis.policy if x.basis else None,
                "basis_document": x.basis.document if x.basis else None,
                "employer_original_fen": x.employer_original_fen, "employer_relief_fen": x.employer_relief_fen,
                "employer_payable_fen": x.employer_payable_fen, "individual_fen": x.individual_fen,
            }
            for x in li.lines
        ]  # fmt: skip
        await replace(session, liability_lines, {"credit_code": li.credit_code, "fee_period": li.fee_period}, rows)
    elif isinstance(e, r.LiabilityWithdrawn):
        await replace(session, liability_lines, {"credit_code": e.credit_code, "fee_period": e.fee_period}, [])
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
