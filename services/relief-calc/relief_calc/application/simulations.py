"""Policy impact simulation over the stored declarations (REST ``POST /v1/simulations`` and
``relief-calc simulate``): what a draft policy would change, against the policies in force.

One read-only transaction (on PostgreSQL: REPEATABLE READ, READ ONLY, so the policies, the count
and the declarations come from one snapshot and nothing can be written): the baseline is every
published policy (``rc_policies``), the draft set is the baseline with the draft added (it must
hold together with it, or :class:`PolicyDataError`). The current declaration revisions and their
sizes in force (``rc_declarations`` ⟕ ``rc_sizes``) are streamed in key order through a
server-side cursor, ``chunk`` rows at a time, into :class:`relief_calc.domain.simulation.Simulation`;
each chunk is computed in a worker thread so the event loop keeps serving other requests.
Nothing is appended, marked or stored.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from refdata.periods import FeePeriod
from refdata.regions import RegionCatalog
from relief_calc.adapters.input_rows import declaration_input, size_input
from relief_calc.adapters.tables import declarations, sizes
from relief_calc.application.policies import PolicyCache
from relief_calc.domain.errors import InvalidRequest, PolicyDataError
from relief_calc.domain.policies import PolicySet
from relief_calc.domain.policy_model import Policy
from relief_calc.domain.simulation import Progress, Simulation, SimulationResult

REGION = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Filters:
    """Which payer-periods to replay: regions (6-digit pooling regions; empty: all) and fee periods."""

    regions: tuple[str, ...] = ()
    period_from: str | None = None
    period_to: str | None = None

    @classmethod
    def of(
        cls,
        regions: Sequence[str] = (),
        period_from: str | None = None,
        period_to: str | None = None,
        catalog: RegionCatalog | None = None,
    ) -> Filters:
        """Checked filters; :class:`InvalidRequest` names the offending field."""
        catalog = catalog or RegionCatalog.default()
        for i, code in enumerate(regions):
            if not isinstance(code, str) or not REGION.match(code):
                raise InvalidRequest(
                    f"统筹区代码“{code}”应为6位数字", f"region {code!r} must be a 6-digit code", field=f"filters.regions.{i}"
                )
            try:
                catalog.region(code)
            except ValueError as exc:
                raise InvalidRequest(
                    getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc)), field=f"filters.regions.{i}"
                ) from None
        first, last = _period(period_from, "from"), _period(period_to, "to")
        if first is not None and last is not None and first > last:
            raise InvalidRequest(
                f"起始所属期{first}晚于截止所属期{last}", f"from {first} is after to {last}", field="filters.from"
            )
        return cls(tuple(sorted(set(regions))), first, last)

    def to_json(self) -> dict[str, Any]:
        return {"regions": list(self.regions), "from": self.period_from, "to": self.period_to}

    def where(self) -> list[sa.ColumnElement[bool]]:
        t = declarations
        clauses: list[sa.ColumnElement[bool]] = []
        if self.regions:
            clauses.append(t.c.region.in_(self.regions))
        if self.period_from is not None:
            clauses.append(t.c.fee_period >= self.period_from)
        if self.period_to is not None:
            clauses.append(t.c.fee_period <= self.period_to)
        return clauses


@dataclass(frozen=True)
class Outcome:
    result: SimulationResult
    baseline: PolicySet
    draft: Policy
    filters: Filters

    def to_json(self) -> dict[str, Any]:
        return {
            "draft": {
                "policy_id": self.draft.id,
                "published": self.draft.published.isoformat(),
                "content_hash": self.draft.content_hash(),
            },
            "baseline": [
                {"policy_id": p.id, "published": p.published.isoformat(), "content_hash": p.content_hash()}
                for p in self.baseline.policies
            ],
            "filters": self.filters.to_json(),
            **self.result.to_json(),
        }


async def simulate(
    sessions: async_sessionmaker[AsyncSession],
    draft: Policy,
    filters: Filters = Filters(),
    *,
    cache: PolicyCache | None = None,
    catalog: RegionCatalog | None = None,
    chunk: int = 1000,
    on_total: Callable[[int], None] | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Replay the stored declarations under the draft (see the module docstring).

    ``on_total`` gets the number of payer-periods to replay before the first one; ``progress``
    the number done so far, from the worker thread. Raises :class:`PolicyDataError` when the draft
    does not hold together with the published policies.
    """
    catalog = catalog or RegionCatalog.default()
    async with sessions() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        baseline = await (cache or PolicyCache()).current(session) or PolicySet([])
        drafted = drafted_set(baseline, draft)
        t, s = declarations, sizes
        count = sa.select(sa.func.count()).select_from(t).where(*filters.where())
        total = int(await session.scalar(count) or 0)
        if on_total is not None:
            on_total(total)
        simulation = Simulation(baseline, drafted, catalog, progress)
        query = (
            sa.select(
                *t.c,
                s.c.assigned_size,
                s.c.assigned_event_id,
                s.c.corrected_size,
                s.c.corrected_event_id,
            )
            .select_from(t.outerjoin(s, sa.and_(s.c.credit_code == t.c.credit_code, s.c.fee_period == t.c.fee_period)))
            .where(*filters.where())
            .order_by(t.c.credit_code, t.c.fee_period)
            .execution_options(yield_per=chunk)
        )
        rows = await session.stream(query)
        async for part in rows.partitions(chunk):
            await asyncio.to_thread(_feed, simulation, part)
    return Outcome(simulation.result(), baseline, draft, filters)


def drafted_set(baseline: PolicySet, draft: Policy) -> PolicySet:
    """The baseline with the draft added; :class:`PolicyDataError` (``.field`` under ``draft``)
    when it does not hold together with the published policies."""
    if draft.overrides is not None and not baseline.versions(draft.overrides):
        raise PolicyDataError(
            f"政策草案覆盖的政策{draft.overrides}尚未发布",
            f"the draft overrides {draft.overrides}, which is not a published policy",
            field="draft.overrides",
        )
    for version in baseline.versions(draft.id):
        if version.published == draft.published and version.content_hash() != draft.content_hash():
            raise PolicyDataError(
                f"政策{draft.id}在{draft.published}已发布过内容不同的版本；草案须另定发布日期",
                f"policy {draft.id} already has a different version published on {draft.published}; "
                "a draft amendment needs its own publication date",
                field="draft.published",
            )
    try:
        return baseline.with_policy(draft)
    except PolicyDataError as exc:
        raise PolicyDataError(exc.zh, exc.en, field=exc.field or "draft") from None


def _period(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest("费款所属期应为YYYY-MM字符串", f"{name} must be a YYYY-MM string", field=f"filters.{name}")
    try:
        return str(FeePeriod.parse(value))
    except ValueError as exc:
        raise InvalidRequest(getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc)), field=f"filters.{name}") from None


def _feed(simulation: Simulation, rows: Sequence[Any]) -> None:
    for row in rows:
        simulation.add(declaration_input(row), size_input(row))
