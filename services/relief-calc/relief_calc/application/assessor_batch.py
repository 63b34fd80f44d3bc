"""The assessor's fast path: a whole batch of marks in a handful of statements.

Reads the batch's declarations, sizes and liability heads in three queries, decides every
payer-period in memory, appends every event in one insert and deletes the marks in one statement.
A concurrent writer on any of the streams makes the insert fail (ConcurrencyError): the caller
rolls the batch's savepoint back and takes the careful path, one mark at a time. A payer-period
the domain cannot assess (say, no region parameters for the period) only keeps its mark with the
error; the rest of the batch goes on.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Event, EventRegistry
from eventkit.store import EventStore
from refdata.regions import RegionCatalog
from relief_calc.adapters.input_rows import declaration_input, size_input
from relief_calc.adapters.tables import declarations, kernel, pending, sizes
from relief_calc.domain.assessing import Recorded, next_event
from relief_calc.domain.liability_events import liability_stream
from relief_calc.domain.policies import PolicySet

log = logging.getLogger(__name__)


async def assess_batch(
    session: AsyncSession,
    marks: list[Any],
    policy_set: PolicySet,
    *,
    store: EventStore,
    registry: EventRegistry,
    catalog: RegionCatalog,
) -> Counter[str]:
    """Assess ``marks`` (rows of rc_pending_assessments); returns the count of each outcome."""
    keys = [(m.credit_code, m.fee_period) for m in marks]
    decl_rows = await session.execute(
        sa.select(declarations).where(sa.tuple_(declarations.c.credit_code, declarations.c.fee_period).in_(keys))
    )
    decls = {(r.credit_code, r.fee_period): r for r in decl_rows}
    size_rows = await session.execute(sa.select(sizes).where(sa.tuple_(sizes.c.credit_code, sizes.c.fee_period).in_(keys)))
    size_of = {(r.credit_code, r.fee_period): r for r in size_rows}
    recorded = await _heads(session, [liability_stream(*k) for k in keys], registry)

    outcomes: Counter[str] = Counter()
    items: list[tuple[str, int, list[Event], str]] = []
    failed: list[tuple[Any, str]] = []
    for mark, key in zip(marks, keys, strict=True):
        row = decls.get(key)
        if row is None:
            outcomes["no_declaration"] += 1
            continue
        stream = liability_stream(*key)
        head = recorded.get(stream, Recorded())
        try:
            event = next_event(head, declaration_input(row), size_input(size_of.get(key)), policy_set, catalog)
        except Exception as exc:  # a domain refusal for this payer-period only
            log.warning("assessor: cannot assess %s %s: %s", key[0], key[1], exc)
            failed.append((mark, f"{type(exc).__name__}: {exc}"[:2000]))
            continue
        if event is None:
            outcomes["unchanged"] += 1
        else:
            items.append((stream, head.version, [event], key[0]))
            outcomes[event.name.split(".")[-1]] += 1
    await store.append_batch(session, items)
    failed_keys = {(m.credit_code, m.fee_period) for m, _ in failed}
    done = [(m.credit_code, m.fee_period, m.generation) for m in marks if (m.credit_code, m.fee_period) not in failed_keys]
    if done:
        await session.execute(
            sa.delete(pending).where(sa.tuple_(pending.c.credit_code, pending.c.fee_period, pending.c.generation).in_(done))
        )
    for mark, error in failed:
        await session.execute(
            sa.update(pending)
            .where(
                pending.c.credit_code == mark.credit_code,
                pending.c.fee_period == mark.fee_period,
                pending.c.generation == mark.generation,
            )
            .values(last_error=error)
        )
        outcomes["failed"] += 1
    return outcomes


async def _heads(session: AsyncSession, streams: list[str], registry: EventRegistry) -> dict[str, Recorded]:
    """Each stream's version and last event (streams without events are left out)."""
    t = kernel.events
    versions = (
        await session.execute(
            sa.select(t.c.stream_id, sa.func.max(t.c.stream_version)).where(t.c.stream_id.in_(streams)).group_by(t.c.stream_id)
        )
    ).all()
    if not versions:
        return {}
    rows = await session.execute(
        sa.select(t.c.stream_id, t.c.stream_version, t.c.event_type, t.c.schema_version, t.c.data).where(
            sa.tuple_(t.c.stream_id, t.c.stream_version).in_([(s, v) for s, v in versions])
        )
    )
    return {r.stream_id: Recorded(r.stream_version, registry.decode_data(r.event_type, r.schema_version, r.data)) for r in rows}
