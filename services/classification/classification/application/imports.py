"""Province data import (省级共享的企业划型数据): preview a file's effect, then apply it once.

Both steps decide on the event store (the payers' size streams), never on the read model, which
may lag. Applying is idempotent by the file's SHA-256: the import's own stream `import-<sha256>`
exists once the file was applied, and a second upload of the same bytes answers with that import.
Everything a file does (the size events of every payer and the import record) is appended in
one transaction: a file is applied entirely or not at all.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from classification.adapters.files import Table, read_table
from classification.domain import imports as planner
from classification.domain.events import ImportSummary, ProvinceImportApplied
from classification.domain.province_file import check_rows
from classification.domain.size_state import SizeState, fold, size_stream
from eventkit.events import Event
from eventkit.store import EventStore


def import_stream(sha256: str) -> str:
    return f"import-{sha256}"


@dataclass(frozen=True)
class Preview:
    sha256: str
    table: Table
    plan: planner.Plan
    states: dict[str, SizeState]

    def summary(self) -> ImportSummary:
        return ImportSummary(
            rows=len(self.table.rows),
            new=self.plan.count(planner.NEW),
            changed=self.plan.count(planner.CHANGED),
            unchanged=self.plan.count(planner.UNCHANGED),
            errors=len(self.plan.errors),
            flagged=self.plan.flagged,
        )


@dataclass(frozen=True)
class Applied:
    event: ProvinceImportApplied
    already: bool  # the same file had been applied before: nothing new was recorded


async def preview(session: AsyncSession, store: EventStore, data: bytes, fmt: str) -> Preview:
    table = read_table(data, fmt)
    rows, errors = check_rows(table.rows)
    codes = sorted({r.credit_code for r in rows})
    loaded = await store.load_many(session, [size_stream(c) for c in codes])
    states = {c: fold(m.event for m in loaded[size_stream(c)]) for c in codes}
    return Preview(hashlib.sha256(data).hexdigest(), table, planner.plan(rows, errors, states), states)


async def apply(
    session: AsyncSession, store: EventStore, data: bytes, fmt: str, *, file_name: str | None, actor: str
) -> tuple[Applied, Preview | None]:
    sha = hashlib.sha256(data).hexdigest()
    earlier = await store.load(session, import_stream(sha))
    if earlier:
        first = earlier[0].event
        assert isinstance(first, ProvinceImportApplied)
        return Applied(first, already=True), None
    seen = await preview(session, store, data, fmt)
    by_stream: dict[str, list[Event]] = defaultdict(list)
    for outcome in seen.plan.outcomes:
        by_stream[outcome.row.credit_code] += planner.events_for(outcome, sha)
    items = [(size_stream(c), seen.states[c].version, events, c) for c, events in sorted(by_stream.items()) if events]
    good = [o.row for o in seen.plan.outcomes]
    record = ProvinceImportApplied(
        import_id=sha,
        sha256=sha,
        file_name=file_name,
        file_format=seen.table.format,
        source_versions=tuple(sorted({r.source_version for r in good})),
        statistical_years=tuple(sorted({r.statistical_year for r in good})),
        summary=seen.summary(),
        applied_by=actor,
    )
    await store.append_batch(session, items)
    await store.append(session, import_stream(sha), 0, [record], subject=sha)
    return Applied(record, already=False), seen
