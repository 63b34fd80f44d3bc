"""The size read model (projection `sizes`, fed by classification.events): every payer's size
events (`pj_size_records`), the rows flagged for review and the imports applied. Queries read it;
commands decide on the event store."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from classification.adapters.tables import imports, review_flags, size_records
from classification.adapters.topics import CLASSIFICATION_TOPIC
from classification.domain.events import (
    EnterpriseSizeAssigned,
    EnterpriseSizeCorrected,
    ProvinceImportApplied,
    SizeReviewFlagged,
)
from classification.domain.registry import registry
from eventkit.db import upsert_insert
from eventkit.events import Message
from eventkit.projection import Projection


async def apply(session: AsyncSession, msg: Message) -> None:
    e, env = msg.event, msg.envelope
    base = {"version": env.streamversion or 0, "event_id": env.id, "recorded_at": env.time}
    if isinstance(e, EnterpriseSizeAssigned):
        await _record(
            session,
            e.credit_code,
            kind="assigned",
            size=e.size,
            statistical_year=e.statistical_year,
            period_first=e.periods.first,
            period_last=e.periods.last,
            source_version=e.source_version,
            import_id=e.import_id,
            **base,
        )
    elif isinstance(e, EnterpriseSizeCorrected):
        await _record(
            session,
            e.credit_code,
            kind="corrected",
            size=e.size,
            previous_size=e.previous_size,
            period_first=e.periods.first,
            period_last=e.periods.last,
            dispute_id=e.dispute_id,
            reason=e.reason,
            **base,
        )
    elif isinstance(e, SizeReviewFlagged):
        await _record(
            session,
            e.credit_code,
            kind="flagged",
            size=e.imported_size,
            statistical_year=e.statistical_year,
            source_version=e.source_version,
            import_id=e.import_id,
            flag_kind=e.kind,
            reason=e.reason,
            **base,
        )
        values: dict[str, Any] = {
            "imported_size": e.imported_size,
            "expected_size": e.expected_size,
            "industry": e.industry,
            "indicators": None if e.indicators is None else e.indicators.model_dump(mode="json"),
            "import_id": e.import_id,
            "source_version": e.source_version,
            "reason": e.reason,
            "flagged_at": env.time,
        }
        stmt = upsert_insert(session, review_flags).values(
            credit_code=e.credit_code, statistical_year=e.statistical_year, kind=e.kind, **values
        )
        await session.execute(stmt.on_conflict_do_update(index_elements=["credit_code", "statistical_year", "kind"], set_=values))
    elif isinstance(e, ProvinceImportApplied):
        await session.execute(
            sa.insert(imports).values(
                import_id=e.import_id,
                file_name=e.file_name,
                file_format=e.file_format,
                source_versions=list(e.source_versions),
                statistical_years=list(e.statistical_years),
                summary=e.summary.model_dump(mode="json"),
                applied_by=e.applied_by,
                applied_at=env.time,
            )
        )


async def _record(session: AsyncSession, credit_code: str, **values: Any) -> None:
    await session.execute(sa.insert(size_records).values(credit_code=credit_code, **values))


def projection() -> Projection:
    return Projection(
        name="sizes",
        topics=(CLASSIFICATION_TOPIC,),
        tables=(size_records, review_flags, imports),
        handler=apply,
        registry=registry,
    )
