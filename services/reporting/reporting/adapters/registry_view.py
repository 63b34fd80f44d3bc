"""Projection `registry` (declaration.events → rp_payers, rp_declared_lines): each payer's name,
unit type and pooling region (统筹区, the region and city of every report), and per payer-period the
declared lines of the current revision (headcount and employer rate, for the medical form)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from reporting.adapters import readers as r
from reporting.adapters.rows import replace, upsert
from reporting.adapters.tables import declared_lines, payers
from reporting.adapters.topics import DECLARATION_TOPIC


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    if isinstance(e, r.PayerRegistered | r.PayerUpdated):
        p = e.profile
        await upsert(
            session, payers, {"credit_code": p.credit_code}, {"name": p.name, "unit_type": p.unit_type, "region": p.region}
        )
    elif isinstance(e, r.DeclarationSubmitted | r.DeclarationCorrected):
        d = e.declaration
        rows = [
            {
                "insurance": line.insurance, "region": d.region, "revision": d.revision, "headcount": line.headcount,
                "employer_rate": line.employer_rate, "employer_original_rate": line.employer_original_rate,
            }
            for line in d.lines
        ]  # fmt: skip
        await replace(session, declared_lines, {"credit_code": d.credit_code, "fee_period": d.fee_period}, rows)
    elif isinstance(e, r.DeclarationVoided):
        await replace(session, declared_lines, {"credit_code": e.credit_code, "fee_period": e.fee_period}, [])


def projection() -> Projection:
    return Projection(
        name="registry",
        topics=(DECLARATION_TOPIC,),
        tables=(payers, declared_lines),
        handler=apply,
        registry=r.declaration_registry,
        ignore=("declaration.",),
    )
