"""缓缴 Deferral commands. Each runs inside the caller's transaction (the Idempotency-Key wrapper's):
it loads the application's stream from the event store, decides with the pure domain, and appends
with the expected version, so the decision, its events, their outbox rows and the stored HTTP
response commit together; a concurrent writer gets a conflict, never a lost update.

The policies come through :attr:`DeferralDeps.policies`, one callable (today the shipped files,
:func:`shipped_policies`; later the policies read from policy.events), given the session.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Event
from eventkit.store import EventStore
from refdata.errors import RefdataError
from refdata.periods import FeePeriod
from refdata.regions import RegionCatalog
from relief_calc.domain import deferrals as rules
from relief_calc.domain.deferral_events import DeferralApplied, DeferralApproved, deferral_stream
from relief_calc.domain.deferral_state import (
    APPROVED,
    UNDER_REVIEW,
    Actor,
    ApplicationInput,
    DeferralConflict,
    DeferralNotFound,
    DeferralState,
    InvalidDeferral,
    Issue,
    fold,
)
from relief_calc.domain.policies import PolicySet, default_policy_dir, load_policies


@lru_cache(maxsize=1)
def _shipped() -> PolicySet:
    return load_policies(default_policy_dir())


async def shipped_policies(_session: AsyncSession) -> PolicySet:
    """The policies shipped in services/relief-calc/policies. The one seam to swap for the policies
    read from policy.events (e.g. ``PolicyCache().current(session)``): same signature."""
    return _shipped()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DeferralDeps:
    store: EventStore
    policies: Callable[[AsyncSession], Awaitable[PolicySet]] = shipped_policies
    catalog: RegionCatalog | None = None
    clock: Callable[[], datetime] = _now

    def regions(self) -> RegionCatalog:
        return self.catalog or RegionCatalog.default()

    def due_day(self, region: str, period: FeePeriod) -> int:
        try:
            return self.regions().parameters(region, period).due_day
        except RefdataError as exc:
            raise InvalidDeferral([Issue("last_period", "deferral.due_day", exc.zh, exc.en)]) from None


async def load(session: AsyncSession, deps: DeferralDeps, application_id: str) -> DeferralState:
    return fold(m.event for m in await deps.store.load(session, deferral_stream(application_id)))


async def require(session: AsyncSession, deps: DeferralDeps, application_id: str) -> DeferralState:
    state = await load(session, deps, application_id)
    if state.applied is None:
        raise DeferralNotFound(
            "deferral.not_found", f"缓缴申请{application_id}不存在", f"no deferral application {application_id}"
        )
    return state


async def applications_of(session: AsyncSession, deps: DeferralDeps, credit_code: str) -> list[DeferralState]:
    """Every deferral application of a payer, from the event store (consistent, unlike the read model)."""
    t = deps.store.tables.events
    streams = await session.scalars(
        sa.select(t.c.stream_id).where(t.c.subject == credit_code, t.c.stream_id.like("deferral-%")).distinct()
    )
    return [fold(m.event for m in await deps.store.load(session, s)) for s in sorted(streams)]


def _check_overlap(others: list[DeferralState], candidate: tuple[str, str, tuple[str, ...]], statuses: set[str]) -> None:
    for other in others:
        a = other.approved or other.applied
        if (
            other.status in statuses
            and a is not None
            and rules.overlaps((a.first_period, a.last_period, a.insurances), candidate)
        ):
            assert other.applied is not None
            raise DeferralConflict(
                "deferral.overlap",
                f"与缓缴申请{other.applied.application_id}（{a.first_period}至{a.last_period}）的期间和险种重叠",
                f"overlaps deferral application {other.applied.application_id} ({other.status}, "
                f"{a.first_period}..{a.last_period}, {', '.join(a.insurances)})",
            )


async def apply(session: AsyncSession, deps: DeferralDeps, actor: Actor, inp: ApplicationInput) -> DeferralState:
    """申请缓缴: a new application (its id is new), refused when it overlaps one under review or approved."""
    try:
        deps.regions().region(inp.region)
    except RefdataError as exc:
        raise InvalidDeferral([Issue("region", "deferral.region", exc.zh, exc.en)]) from None
    application_id = str(uuid.uuid4())
    events = rules.apply(DeferralState(), application_id, inp, actor, await deps.policies(session), deps.clock())
    applied = events[0]
    assert isinstance(applied, DeferralApplied)
    others = await applications_of(session, deps, inp.credit_code)
    _check_overlap(others, (applied.first_period, applied.last_period, applied.insurances), {UNDER_REVIEW, APPROVED})
    await deps.store.append(session, deferral_stream(application_id), 0, events, subject=inp.credit_code)
    return fold(events)


async def record_opinion(
    session: AsyncSession,
    deps: DeferralDeps,
    application_id: str,
    actor: Actor,
    stance: str,
    opinion: str,
    department: str | None,
) -> DeferralState:
    state = await require(session, deps, application_id)
    return await _decided(session, deps, state, rules.record_opinion(state, actor, stance, opinion, department, deps.clock()))


async def first_review(
    session: AsyncSession,
    deps: DeferralDeps,
    application_id: str,
    actor: Actor,
    passed: bool,
    opinion: str,
    department: str | None,
) -> DeferralState:
    state = await require(session, deps, application_id)
    return await _decided(session, deps, state, rules.first_review(state, actor, passed, opinion, department, deps.clock()))


async def decide(
    session: AsyncSession,
    deps: DeferralDeps,
    application_id: str,
    actor: Actor,
    approve: bool,
    opinion: str,
    *,
    first_period: str | None = None,
    last_period: str | None = None,
    insurances: tuple[str, ...] | None = None,
) -> DeferralState:
    state = await require(session, deps, application_id)
    events = rules.decide(
        state,
        actor,
        approve,
        opinion,
        deps.clock(),
        policies=await deps.policies(session),
        due_day=deps.due_day,
        first_period=first_period,
        last_period=last_period,
        insurances=insurances,
    )
    e = events[-1]
    if isinstance(e, DeferralApproved):
        others = [
            o
            for o in await applications_of(session, deps, e.credit_code)
            if o.applied and o.applied.application_id != application_id
        ]
        _check_overlap(others, (e.first_period, e.last_period, e.insurances), {APPROVED})
    return await _decided(session, deps, state, events)


async def withdraw(session: AsyncSession, deps: DeferralDeps, application_id: str, actor: Actor, reason: str) -> DeferralState:
    state = await require(session, deps, application_id)
    return await _decided(session, deps, state, rules.withdraw(state, actor, reason, deps.clock()))


async def _decided(session: AsyncSession, deps: DeferralDeps, state: DeferralState, events: list[Event]) -> DeferralState:
    assert state.applied is not None
    code = state.applied.credit_code
    await deps.store.append(session, deferral_stream(state.applied.application_id), state.version, events, subject=code)
    return await load(session, deps, state.applied.application_id)
