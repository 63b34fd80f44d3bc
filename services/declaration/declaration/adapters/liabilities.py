"""The assessed liability (应缴) relief-calc publishes on `relief.events`, as this service reads it.

Tolerant reader models: only the fields the declaration service shows, every other field ignored,
so relief-calc may add fields without breaking us (the contracts are
`contracts/events/relief.Liability*.v1.json`; this module must not import relief_calc, which is
deployed separately). relief.events also carries relief-calc events this service does not need
(deferrals, late fees…): the projection skips unknown names under `relief.` and counts them; a
known name at a newer version is still dead-lettered, so a breaking change is never silently lost.

The projection keeps, per payer and fee period, the liability as it now stands and the
declaration revision it was derived from; the API compares that revision with the declared one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from declaration.adapters.tables import liabilities
from declaration.adapters.topics import RELIEF_TOPIC
from declaration.domain.assessment import StandingLiability
from eventkit.events import Event, EventRegistry, Message
from eventkit.projection import Projection

WITHDRAWN = "withdrawn"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Basis(_Part):
    policy: str
    document: str
    rule: str
    clause: str


class LiabilityLine(_Part):
    insurance: str
    relief: str  # exempt | halved | none
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int
    basis: Basis | None = None


class Inputs(_Part):
    declaration_id: str
    declaration_revision: int


class Liability(_Part):
    credit_code: str
    fee_period: str
    status: str  # final | provisional
    size_used: str | None = None
    due_date: str | None = None
    lines: tuple[LiabilityLine, ...]
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int
    inputs: Inputs


class LiabilityAssessed(Event):
    model_config = ConfigDict(frozen=True, extra="ignore")
    name = "relief.LiabilityAssessed"
    liability: Liability


class LiabilityReassessed(Event):
    model_config = ConfigDict(frozen=True, extra="ignore")
    name = "relief.LiabilityReassessed"
    liability: Liability  # reasons, previous_status and the deltas are not shown here


class LiabilityWithdrawn(Event):
    model_config = ConfigDict(frozen=True, extra="ignore")
    name = "relief.LiabilityWithdrawn"
    credit_code: str
    fee_period: str
    reason: str  # declaration_voided | declaration_rejected
    declaration_id: str
    declaration_revision: int


registry = EventRegistry(LiabilityAssessed, LiabilityReassessed, LiabilityWithdrawn)


async def apply(session: AsyncSession, msg: Message) -> None:
    e, env = msg.event, msg.envelope
    if isinstance(e, LiabilityAssessed | LiabilityReassessed):
        lia = e.liability
        key = (lia.credit_code, lia.fee_period)
        values: dict[str, Any] = {
            "declaration_id": lia.inputs.declaration_id,
            "declaration_revision": lia.inputs.declaration_revision,
            "status": lia.status,
            "withdrawn_reason": None,
            "size_used": lia.size_used,
            "due_date": lia.due_date,
            "employer_original_fen": lia.employer_original_fen,
            "employer_relief_fen": lia.employer_relief_fen,
            "employer_payable_fen": lia.employer_payable_fen,
            "individual_fen": lia.individual_fen,
            "lines": [line.model_dump(mode="json") for line in lia.lines],
        }
    elif isinstance(e, LiabilityWithdrawn):
        key = (e.credit_code, e.fee_period)
        values = {
            "declaration_id": e.declaration_id,
            "declaration_revision": e.declaration_revision,
            "status": WITHDRAWN,
            "withdrawn_reason": e.reason,
            "size_used": None,
            "due_date": None,
            "employer_original_fen": 0,
            "employer_relief_fen": 0,
            "employer_payable_fen": 0,
            "individual_fen": 0,
            "lines": [],
        }
    else:  # pragma: no cover - the registry holds only the three types above
        return
    await _upsert(session, key, values, env.id, env.streamversion, env.time)


async def _upsert(
    session: AsyncSession, key: tuple[str, str], values: dict[str, Any], event_id: str, version: int | None, at: datetime
) -> None:
    t = liabilities
    where = (t.c.credit_code == key[0], t.c.fee_period == key[1])
    stored = await session.scalar(sa.select(t.c.version).where(*where))
    row = {**values, "event_id": event_id, "version": version or 0, "updated_at": at}
    if stored is None:
        await session.execute(sa.insert(t).values(credit_code=key[0], fee_period=key[1], **row))
    elif version is None or version > stored:  # never let an older liability overwrite a newer one
        await session.execute(sa.update(t).where(*where).values(**row))


def projection() -> Projection:
    return Projection(
        name="liabilities",  # its Kafka group is declaration.projection.liabilities (ConsumerRunner.kafka_group)
        topics=(RELIEF_TOPIC,),
        tables=(liabilities,),
        handler=apply,
        registry=registry,
        ignore=("relief.",),
    )


# ---- queries ------------------------------------------------------------------------------------
def standing(row: Any) -> StandingLiability:
    return StandingLiability(
        declaration_revision=row.declaration_revision,
        status=row.status,
        employer_original_fen=row.employer_original_fen,
        employer_relief_fen=row.employer_relief_fen,
        employer_payable_fen=row.employer_payable_fen,
        individual_fen=row.individual_fen,
        due_date=row.due_date,
        size_used=row.size_used,
        lines=tuple(row.lines),
        updated_at=row.updated_at,
    )


async def liability_of(session: AsyncSession, credit_code: str, fee_period: str) -> StandingLiability | None:
    t = liabilities
    row = (await session.execute(sa.select(t).where(t.c.credit_code == credit_code, t.c.fee_period == fee_period))).first()
    return standing(row) if row is not None else None


async def liabilities_of(session: AsyncSession, credit_code: str, fee_periods: list[str]) -> dict[str, StandingLiability]:
    if not fee_periods:
        return {}
    t = liabilities
    rows = (await session.execute(sa.select(t).where(t.c.credit_code == credit_code, t.c.fee_period.in_(fee_periods)))).all()
    return {r.fee_period: standing(r) for r in rows}
