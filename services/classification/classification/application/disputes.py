"""The dispute commands (企业划型异议). Each runs in the caller's transaction (the Idempotency-Key
wrapper's): load the dispute from the event store, decide, append. The province's correction
appends to two streams at once (the dispute and the payer's sizes), in that one transaction."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from classification.adapters.tables import dispute_documents
from classification.domain import disputes as agg
from classification.domain.dispute_events import Document, Evidence, GroupSplit
from classification.domain.events import Indicators, PeriodRange
from classification.domain.issues import Issue, NotFound, Rejected
from classification.domain.size_state import SizeState, fold, governed_periods, size_stream
from classification.domain.standard import evaluate
from eventkit.db import upsert_insert
from eventkit.events import Event
from eventkit.store import EventStore


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Filing:
    credit_code: str
    statistical_year: int
    claimed_size: str
    industry: str
    headcount: int | None
    revenue: Decimal | None
    assets: Decimal | None
    reason: str
    attachments: tuple[Attachment, ...] = ()
    group_split: GroupSplit | None = None


def now() -> datetime:
    return datetime.now(UTC)


async def load(session: AsyncSession, store: EventStore, dispute_id: str) -> agg.DisputeState:
    state = agg.fold(m.event for m in await store.load(session, agg.dispute_stream(dispute_id)))
    if state.filed is None:
        raise NotFound("dispute", "异议不存在", f"no dispute {dispute_id}")
    return state


async def _sizes(session: AsyncSession, store: EventStore, credit_code: str) -> SizeState:
    return fold(m.event for m in await store.load(session, size_stream(credit_code)))


def _standard_hint(f: Filing) -> str | None:
    """What the 2017 standard gives for the evidence: a hint for reviewers. A malformed industry
    is refused; missing indicators only leave no hint."""
    try:
        return evaluate(f.industry, headcount=f.headcount, revenue=f.revenue, assets=f.assets).size
    except Rejected as exc:
        wrong = [i for i in exc.issues if i.field == "industry"]
        if wrong:
            raise Rejected([Issue(f"evidence.{i.field}", i.code, i.zh, i.en) for i in wrong]) from None
        return None


async def file_dispute(session: AsyncSession, store: EventStore, f: Filing, *, by: str, role: str) -> str:
    current = (await _sizes(session, store, f.credit_code)).year_size(f.statistical_year)
    if current is None and f.group_split is not None:  # a new entity still under the group's classification
        current = (await _sizes(session, store, f.group_split.group)).year_size(f.statistical_year)
    hint = _standard_hint(f)
    documents = []
    for a in f.attachments:
        digest = hashlib.sha256(a.content).hexdigest()
        stmt = upsert_insert(session, dispute_documents).values(sha256=digest, media_type=a.media_type, content=a.content)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["sha256"]))
        documents.append(Document(name=a.name, media_type=a.media_type, sha256=digest, size_bytes=len(a.content)))
    dispute_id = str(uuid.uuid4())
    filed = agg.DisputeFiled(
        dispute_id=dispute_id,
        credit_code=f.credit_code,
        statistical_year=f.statistical_year,
        periods=governed_periods(f.statistical_year),
        current_size=current,
        claimed_size=f.claimed_size,
        evidence=Evidence(
            industry=f.industry.upper(),
            indicators=Indicators(
                headcount=f.headcount,
                revenue=None if f.revenue is None else format(f.revenue, "f"),
                assets=None if f.assets is None else format(f.assets, "f"),
            ),
        ),
        standard_size=hint,
        documents=tuple(documents),
        group_split=f.group_split,
        reason=f.reason,
        by=by,
        role=role,
        due=agg.due(agg.FILED, now()),
    )
    events = agg.file_dispute(agg.DisputeState(), filed)
    await store.append(session, agg.dispute_stream(dispute_id), 0, events, subject=f.credit_code)
    return dispute_id


async def step(session: AsyncSession, store: EventStore, dispute_id: str, events_of: agg.Step) -> agg.DisputeState:
    """Load, decide with `events_of(state)`, append; the state after the step."""
    state = await load(session, store, dispute_id)
    events: list[Event] = events_of(state)
    await store.append(session, agg.dispute_stream(dispute_id), state.version, events, subject=state.credit_code)
    return agg.fold([*(m.event for m in await store.load(session, agg.dispute_stream(dispute_id)))])


async def correct(
    session: AsyncSession,
    store: EventStore,
    dispute_id: str,
    *,
    size: str | None,
    reference: str,
    periods: PeriodRange | None,
    by: str,
    role: str,
) -> agg.DisputeState:
    state = await load(session, store, dispute_id)
    closing, corrected = agg.correct(state, size=size, reference=reference, by=by, role=role, periods=periods)
    code = state.credit_code
    await store.append(session, agg.dispute_stream(dispute_id), state.version, closing, subject=code)
    sizes = await _sizes(session, store, code)
    await store.append(session, size_stream(code), sizes.version, [corrected], subject=code)
    return await load(session, store, dispute_id)
