"""Construction projects insured per project (DOMAIN.md §2.5), assessed from the log: the derivation
by hand, and the order independence of project, correction, size and policy events (DESIGN.md §3.6)
through the real inputs projection and the real project assessor on a real database."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from eventkit.db import make_engine, make_sessionmaker
from eventkit.envelope import Envelope
from eventkit.events import Event, new_envelope
from eventkit.migrations import upgrade
from eventkit.store import EventStore
from refdata.codes import make_credit_code
from relief_calc.adapters import inputs
from relief_calc.adapters import readers as r
from relief_calc.adapters.tables import kernel
from relief_calc.application.policies import policy_files
from relief_calc.application.project_assessor import ProjectAssessor
from relief_calc.domain.assessing import SizeInput
from relief_calc.domain.events import registry
from relief_calc.domain.policies import PolicySet, default_policy_dir
from relief_calc.domain.policy_events import policy_published
from relief_calc.domain.project_assessing import ProjectInput, RecordedProject, next_project_event, project_liability_of
from relief_calc.domain.project_liability_events import ProjectLiabilityAssessed, ProjectLiabilityReassessed
from relief_calc.service import SPEC

SMALL = make_credit_code("91320600MA00PRJ10")
LARGE = make_credit_code("91420100MA00PRJ20")
ALL = PolicySet(p for _, p in policy_files(default_policy_dir()))
WITHOUT_PROJECTS = PolicySet(p for _, p in policy_files(default_policy_dir()) if p.id != "construction-projects-2020")


def project(
    code: str = SMALL, started: str = "2020-03-01", months: int = 12, premium: int = 1_200_000, revision: int = 1
) -> ProjectInput:
    return ProjectInput(
        credit_code=code, project_code="NT-2020-0301", project_id=f"{code}-NT-2020-0301", revision=revision,
        event_id=f"evt-{revision}", region="320600", unit_type="enterprise", started=started, planned_months=months,
        premium_fen=premium,
    )  # fmt: skip


def test_a_small_contractors_project_started_in_march_is_relieved_for_ten_of_twelve_months() -> None:
    # 11号 exempts SMEs' work injury 2020-02…06, 49号 extends it to 12: of the planned months
    # 2020-03 … 2021-02, 2020-03 … 2020-12 are exempt (10), 2021-01 and 02 are not.
    # relief = 1,200,000 × 10 / 12 = 1,000,000 fen; payable 200,000.
    li = project_liability_of(project(), SizeInput("small", "assigned", "size-1"), ALL)
    assert (li.relief, li.months_exempt, li.months_halved, li.relief_fen, li.payable_fen) == ("exempt", 10, 0, 1_000_000, 200_000)
    assert (li.status, li.size_used, li.fee_period, li.inputs.size_period) == ("final", "small", "2020-03", "2020-03")
    assert li.basis[0] == "construction-projects-2020" and "mohrss-2020-49" in li.basis
    assert [p.id for p in li.inputs.policies] == sorted(li.basis)


def test_rounding_once_and_the_start_rule() -> None:
    # 7 planned months from 2020-06: 06 … 12 all exempt → everything; 1,000,001 fen × 7/7.
    assert (
        project_liability_of(project(started="2020-06-15", months=7, premium=1_000_001), SizeInput("micro"), ALL).payable_fen == 0
    )
    # 9 months from 2020-05: 05 … 12 exempt (8) → 1,000,001 × 8 / 9 = 888,889.78 → 888,890.
    assert (
        project_liability_of(project(started="2020-05-31", months=9, premium=1_000_001), SizeInput("small"), ALL).relief_fen
        == 888_890
    )
    # started before 2020-02-01: nothing, whatever the size.
    before = project_liability_of(project(started="2020-01-31"), SizeInput("small"), ALL)
    assert (before.relief, before.relief_fen, before.payable_fen) == ("none", 0, 1_200_000)


def test_unknown_size_is_large_provisionally_and_without_the_project_policy_there_is_no_relief() -> None:
    # as large (provisional): 49号 halves 2020-02…06 → 03…06 halved (4) → 1,200,000 × 4 / 24 = 200,000.
    provisional = project_liability_of(project(), SizeInput(), ALL)
    assert (provisional.status, provisional.relief, provisional.months_halved, provisional.relief_fen) == (
        "provisional",
        "halved",
        4,
        200_000,
    )
    unknown = project_liability_of(project(), SizeInput("small"), WITHOUT_PROJECTS)
    assert (unknown.relief_fen, unknown.payable_fen, unknown.basis) == (0, 1_200_000, ())
    # the policy arrives: the same project is reassessed for its policies, the payable falls by the relief
    first = next_project_event(RecordedProject(), project(), SizeInput("small"), WITHOUT_PROJECTS)
    assert isinstance(first, ProjectLiabilityAssessed)
    again = next_project_event(RecordedProject(1, first), project(), SizeInput("small"), WITHOUT_PROJECTS)
    assert again is None
    later = next_project_event(RecordedProject(1, first), project(), SizeInput("small"), ALL)
    assert isinstance(later, ProjectLiabilityReassessed)
    assert (later.reasons, later.payable_delta_fen, later.relief_delta_fen) == (("policies",), -1_000_000, 1_000_000)


# ---- order independence through the projection and the assessor --------------------------------
def _env(event: Event, subject: str, stream: str, version: int) -> Envelope:
    return new_envelope(event, source="/test", subject=subject, stream_id=stream, stream_version=version)


def _project_event(code: str, region: str, revision: int, **over: Any) -> Event:
    content = {
        "project_id": f"{code}-P1", "project_code": "P1-2020", "credit_code": code, "region": region, "unit_type": "enterprise",
        "started": "2020-03-01", "planned_months": 12, "premium_fen": 1_200_000, "revision": revision,
    } | over  # fmt: skip
    cls = r.ProjectDeclared if revision == 1 else r.ProjectCorrected
    return cls.model_validate({"project": content})


def sequences() -> list[list[Envelope]]:
    policies = [
        _env(policy_published(p, by="test", source=f"file:{name}"), p.id, f"policy-{p.id}", 1)
        for name, p in policy_files(default_policy_dir())
    ]
    size = r.EnterpriseSizeAssigned.model_validate(
        {"credit_code": SMALL, "size": "small", "periods": {"first": "2020-01", "last": "2020-12"}}
    )
    wuhan = r.EnterpriseSizeAssigned.model_validate(
        {"credit_code": LARGE, "size": "large", "periods": {"first": "2020-01", "last": "2020-12"}}
    )
    return [
        policies,
        [
            _env(_project_event(SMALL, "320600", 1), SMALL, "project-a", 1),
            _env(_project_event(SMALL, "320600", 2, planned_months=10), SMALL, "project-a", 2),
        ],
        [_env(size, SMALL, "size-a", 1)],
        [_env(_project_event(LARGE, "420100", 1, started="2020-04-10", planned_months=6), LARGE, "project-b", 1)],
        [_env(wuhan, LARGE, "size-b", 1)],
    ]


def interleave(seqs: list[list[Envelope]], rng: random.Random) -> list[Envelope]:
    queues = [list(s) for s in seqs if s]
    out = []
    while queues:
        q = rng.choice(queues)
        out.append(q.pop(0))
        if not q:
            queues.remove(q)
    return out


async def run_order(url: str, order: list[Envelope], rng: random.Random) -> dict[str, Any]:
    await asyncio.to_thread(upgrade, url, SPEC.migrations_dir)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    store = EventStore(service="relief-calc", source="/test", topic="relief.events", tables=kernel, registry=registry)
    assessor = ProjectAssessor(sessions, store, batch=rng.choice([1, 50]))
    try:
        for env in order:
            async with sessions() as session, session.begin():
                await inputs.apply(session, r.inputs_registry.decode(env))
            if rng.random() < 0.5:
                await assessor.run_once()
        while await assessor.run_once():
            pass
        t = kernel.events
        async with sessions() as session:
            rows = await session.execute(sa.select(t.c.stream_id, t.c.data).order_by(t.c.stream_id, t.c.stream_version))
            out = {row.stream_id: row.data["liability"] for row in rows if row.stream_id.startswith("project-liability-")}
            left = await session.scalar(sa.select(sa.func.count()).select_from(sa.table("rc_pending_project_assessments")))
        assert left == 0, "every mark was worked off"
        return out
    finally:
        await engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_project_inputs_in_any_order_converge_to_the_same_liabilities(
    database_url: str, tmp_path: Path, new_pg_database: Callable[[str], str]
) -> None:
    seqs = sequences()
    in_order = await run_order(database_url, [e for s in seqs for e in s], random.Random(0))
    a, b = in_order[f"project-liability-{SMALL}-P1-2020"], in_order[f"project-liability-{LARGE}-P1-2020"]
    # small, corrected to 10 planned months 2020-03 … 2020-12, all exempt: everything relieved.
    assert (a["relief_fen"], a["payable_fen"], a["inputs"]["project_revision"], a["size_used"]) == (1_200_000, 0, 2, "small")
    # 武汉 (湖北) large: exempt 2020-02…06 → 04, 05, 06 of 04 … 09: 1,200,000 × 3 / 6 = 600,000.
    assert (b["relief"], b["months_exempt"], b["relief_fen"], b["status"]) == ("exempt", 3, 600_000, "final")
    for seed in range(1, 5):
        rng = random.Random(seed)
        url = (
            f"sqlite+aiosqlite:///{tmp_path / f'p{seed}.db'}" if database_url.startswith("sqlite") else new_pg_database("porder")
        )
        assert await run_order(url, interleave(seqs, rng), rng) == in_order, f"seed {seed}"
