"""Order-independent derivation (DESIGN.md §3.6): declarations, corrections, audit releases,
voids, size assignments and corrections, and policies arriving in any interleaving, with the
assessor running at random moments in between, converge to the same liabilities.

Each run feeds the real inputs projection handler and the real assessor on a real database; only
Kafka is left out (the order of delivery is what the test controls). Per-key order is kept, as
Kafka keeps it: a payer's declaration events, a payer's size events and the policies each stay in
their own order; everything else is shuffled.
"""

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
from relief_calc.application.assessor import Assessor
from relief_calc.application.policies import policy_files
from relief_calc.domain.events import registry
from relief_calc.domain.policies import default_policy_dir
from relief_calc.domain.policy_events import policy_published
from relief_calc.service import SPEC

PENSION = {"insurance": "pension", "base_fen": 5_000_000, "employer_rate": "0.16", "individual_rate": "0.08"}
A, B, C, D, E = (
    make_credit_code(f"91{region}MA00RD{n}00") for n, region in enumerate(["320600", "420100", "510400", "320500", "330100"])
)


def _env(event: Event, subject: str, stream: str, version: int) -> Envelope:
    return new_envelope(event, source="/test", subject=subject, stream_id=stream, stream_version=version)


def _declared(
    code: str,
    period: str,
    revision: int,
    *,
    region: str,
    unit_type: str = "enterprise",
    base: int = 5_000_000,
    hold: bool = False,
) -> Event:
    content = {
        "declaration_id": f"{code}-{period}-{revision}",
        "credit_code": code,
        "fee_period": period,
        "revision": revision,
        "region": region,
        "unit_type": unit_type,
        "lines": [PENSION | {"base_fen": base}],
        "audit_hold": hold,
    }
    cls = r.DeclarationSubmitted if revision == 1 else r.DeclarationCorrected
    return cls.model_validate({"declaration": content})


def _ref(code: str, period: str, revision: int) -> dict[str, Any]:
    return {"declaration_id": f"{code}-{period}-{revision}", "credit_code": code, "fee_period": period, "revision": revision}


def _size(cls: type[Event], code: str, size: str, first: str, last: str) -> Event:
    return cls.model_validate({"credit_code": code, "size": size, "periods": {"first": first, "last": last}})


def sequences() -> list[list[Envelope]]:
    """Per-key sequences: each keeps its order; the sequences interleave freely."""
    policies = [
        _env(policy_published(p, by="test", source=f"file:{name}"), p.id, f"policy-{p.id}", 1)
        for name, p in policy_files(default_policy_dir())
    ]

    def decl(code: str, *events: Event) -> list[Envelope]:
        return [_env(e, code, f"declaration-{code}", i + 1) for i, e in enumerate(events)]

    def size(code: str, *events: Event) -> list[Envelope]:
        return [_env(e, code, f"size-{code}", i + 1) for i, e in enumerate(events)]

    return [
        policies,
        # A, 南通: May declared then corrected upward; classified small.
        decl(
            A,
            _declared(A, "2020-03", 1, region="320600"),
            _declared(A, "2020-05", 1, region="320600"),
            _declared(A, "2020-05", 2, region="320600", base=6_000_000),
        ),
        size(A, _size(r.EnterpriseSizeAssigned, A, "small", "2020-01", "2020-12")),
        # B, 武汉: assigned large, corrected to medium (an upheld dispute) for the first half.
        decl(B, _declared(B, "2020-04", 1, region="420100"), _declared(B, "2020-08", 1, region="420100")),
        size(
            B,
            _size(r.EnterpriseSizeAssigned, B, "large", "2020-01", "2020-12"),
            _size(r.EnterpriseSizeCorrected, B, "medium", "2020-01", "2020-06"),
        ),
        # C, a social organisation in 攀枝花: declared, then voided.
        decl(
            C,
            _declared(C, "2020-06", 1, region="510400", unit_type="social_organization"),
            r.DeclarationVoided.model_validate(_ref(C, "2020-06", 1)),
        ),
        # D, 苏州: held for audit, then released.
        decl(
            D,
            _declared(D, "2020-02", 1, region="320500", hold=True),
            r.DeclarationAuditApproved.model_validate(_ref(D, "2020-02", 1)),
        ),
        # E, 杭州: held for audit, then rejected; its size never arrives (provisional if ever assessed).
        decl(
            E,
            _declared(E, "2020-07", 1, region="330100", hold=True),
            r.DeclarationAuditRejected.model_validate(_ref(E, "2020-07", 1)),
        ),
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
    assessor = Assessor(sessions, store, registry, batch=rng.choice([1, 3, 100]))
    try:
        for env in order:
            async with sessions() as session, session.begin():
                await inputs.apply(session, r.inputs_registry.decode(env))
            if rng.random() < 0.4:
                await assessor.run_once()
        while await assessor.run_once():
            pass
        return await final_liabilities(sessions)
    finally:
        await engine.dispose()


async def final_liabilities(sessions: Any) -> dict[str, Any]:
    """Per liability stream, the liability its last event leaves (None once withdrawn)."""
    t = kernel.events
    out: dict[str, Any] = {}
    async with sessions() as session:
        rows = await session.execute(
            sa.select(t.c.stream_id, t.c.event_type, t.c.data).order_by(t.c.stream_id, t.c.stream_version)
        )
        for row in rows:
            out[row.stream_id] = row.data.get("liability")
        failed = await session.scalar(sa.select(sa.func.count()).select_from(sa.table("rc_pending_assessments")))
    assert failed == 0, "every mark was worked off"
    return {k: v for k, v in out.items() if v is not None}  # withdrawn and never assessed are alike


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_inputs_in_any_order_converge_to_the_same_liabilities(
    database_url: str, tmp_path: Path, new_pg_database: Callable[[str], str]
) -> None:
    seqs = sequences()
    in_order = await run_order(database_url, [e for s in seqs for e in s], random.Random(0))
    # The expected liabilities, derived by hand from DOMAIN.md §2.1 and the declared amounts.
    assert in_order[f"liability-{A}-2020-05"]["lines"][0] | {"basis": None} == {
        "insurance": "pension",
        "relief": "exempt",
        "employer_original_fen": 960_000,  # the corrected base 60,000 元 × 16 %
        "employer_relief_fen": 960_000,
        "employer_payable_fen": 0,
        "individual_fen": 480_000,
        "basis": None,
    }
    assert in_order[f"liability-{A}-2020-05"]["inputs"]["declaration_revision"] == 2
    assert in_order[f"liability-{B}-2020-04"]["size_used"] == "medium"  # the correction wins
    assert in_order[f"liability-{B}-2020-04"]["lines"][0]["relief"] == "exempt"
    assert in_order[f"liability-{B}-2020-08"]["size_used"] == "large"  # outside the corrected periods
    assert in_order[f"liability-{B}-2020-08"]["lines"][0]["relief"] == "none"  # 湖北 large: exempt to 06 only
    assert in_order[f"liability-{D}-2020-02"]["status"] == "provisional"  # released from audit, size unknown
    assert f"liability-{C}-2020-06" not in in_order and f"liability-{E}-2020-07" not in in_order
    assert len(in_order) == 5

    for seed in range(1, 7):
        rng = random.Random(seed)
        url = (
            f"sqlite+aiosqlite:///{tmp_path / f'order{seed}.db'}"
            if database_url.startswith("sqlite")
            else new_pg_database("order")
        )
        shuffled = await run_order(url, interleave(seqs, rng), rng)
        assert shuffled == in_order, f"seed {seed}: a different order gave different liabilities"
