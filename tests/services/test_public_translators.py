"""The owning services publish integration events (public.*) translated from their real internal
events: relief-calc from liabilities, refund from the ledger the liabilities create, classification
from a size correction. Each service runs as its kernel runtime (relay and consumers) on its own
PostgreSQL database against the session's Kafka broker; the public topics are read like an agency
reads them."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from classification.domain.events import EnterpriseSizeCorrected, PeriodRange
from eventkit.cli import ServiceSpec, build_runtime
from eventkit.events import new_envelope
from eventkit.migrations import upgrade
from eventkit.runtime import ServiceRuntime
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.proofs import end_offsets, produce
from refdata.codes import make_credit_code
from relief_calc.testing import liability, liability_envelope

_RUN = secrets.randbelow(10**4)


def code(n: int) -> str:
    return make_credit_code(f"91320600MA{_RUN:04d}{n:03d}")


async def running(spec: ServiceSpec, db: str, bootstrap: str) -> ServiceRuntime:
    await asyncio.to_thread(upgrade, db, spec.migrations_dir)
    runtime = build_runtime(spec, spec.settings_cls(database_url=db, kafka_bootstrap_servers=bootstrap))
    definition = runtime.definition
    await start_groups_at_end(
        db, bootstrap, definition.kernel, definition.subscriptions(runtime.store), definition.topic_specs(12, 1)
    )
    await runtime.start()
    return runtime


@pytest_asyncio.fixture
async def runtimes(new_pg_database: Callable[[str], str], kafka_bootstrap: str) -> AsyncIterator[dict[str, ServiceRuntime]]:
    from classification.service import SPEC as CLASSIFICATION
    from refund.service import SPEC as REFUND
    from relief_calc.service import SPEC as RELIEF_CALC

    out: dict[str, ServiceRuntime] = {}
    try:
        for name, spec in (("relief-calc", RELIEF_CALC), ("refund", REFUND), ("classification", CLASSIFICATION)):
            out[name] = await running(spec, new_pg_database(name.replace("-", "_")), kafka_bootstrap)
        yield out
    finally:
        for runtime in out.values():
            await runtime.stop()


async def public_records(
    bootstrap: str, topic: str, start: dict[int, int], subject: str, want: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The CloudEvents on `topic` after `start` whose subject is `subject`, once `want` holds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in start]
        consumer.assign(parts)
        for tp in parts:
            consumer.seek(tp, start[tp.partition])
        found: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + 90
        while not want(found):
            assert asyncio.get_running_loop().time() < deadline, f"{topic}: got {found}"
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for r in records:
                    headers = {k: v.decode() for k, v in r.headers}
                    if headers.get("ce_subject") == subject:
                        found.append({"id": headers["ce_id"], "type": headers["ce_type"], "data": json.loads(r.value)})
        return found
    finally:
        await consumer.stop()


async def test_liabilities_and_size_corrections_become_public_events(
    runtimes: dict[str, ServiceRuntime], kafka_bootstrap: str
) -> None:
    payer = code(1)
    topics = ("public.collection-details", "public.relief-decisions", "public.size-corrections")
    starts = {t: await end_offsets(kafka_bootstrap, t) for t in topics}
    full = liability(payer, "2020-02", 300_000, 300_000)
    halved = liability(payer, "2020-02", 300_000, 150_000, individual_fen=80_000)
    await produce(kafka_bootstrap, "relief.events", [liability_envelope(full, 1), liability_envelope(halved, 2, full)])
    corrected = EnterpriseSizeCorrected(
        credit_code=payer, size="small", previous_size="large", periods=PeriodRange(first="2020-02", last="2020-06"),
        dispute_id="DSP-1", reason="异议成立 (free text stays internal)",
    )  # fmt: skip
    await produce(
        kafka_bootstrap, "classification.events",
        [new_envelope(corrected, source="/relief/classification", subject=payer, stream_id=f"size-{payer}", stream_version=1)],
    )  # fmt: skip

    def types(records: list[dict[str, Any]]) -> list[str]:
        return [r["type"] for r in records]

    details = await public_records(
        kafka_bootstrap, "public.collection-details", starts["public.collection-details"], payer,
        lambda rs: types(rs).count("relief.public.CollectionAssessed.v1") >= 2 and "relief.public.CollectionPaid.v1" in types(rs),
    )  # fmt: skip
    assessed = [r["data"] for r in details if r["type"] == "relief.public.CollectionAssessed.v1"]
    assert assessed[-1] == {
        "credit_code": payer, "fee_period": "2020-02", "region": "320600", "status": "final",
        "lines": [{"insurance": "pension", "employer_original_fen": 300_000, "employer_relief_fen": 150_000,
                   "employer_payable_fen": 150_000, "individual_fen": 80_000}],
        "employer_original_fen": 300_000, "employer_relief_fen": 150_000, "employer_payable_fen": 150_000,
        "individual_fen": 80_000,
    }  # fmt: skip
    # the refund service's half: the ledger's due, from the dues it recorded for the liabilities
    paid = await public_records(
        kafka_bootstrap, "public.collection-details", starts["public.collection-details"], payer,
        lambda rs: any(
            r["type"] == "relief.public.CollectionPaid.v1"
            and {(x["part"], x["due_fen"]) for x in r["data"]["lines"]} == {("employer", 150_000), ("individual", 80_000)}
            for r in rs
        ),
    )  # fmt: skip
    last_paid = [r["data"] for r in paid if r["type"] == "relief.public.CollectionPaid.v1"][-1]
    assert last_paid["fee_period"] == "2020-02"
    assert {x["part"]: (x["paid_fen"], x["outstanding_fen"]) for x in last_paid["lines"]} == {
        "employer": (0, 150_000),
        "individual": (0, 80_000),
    }

    decisions = await public_records(
        kafka_bootstrap, "public.relief-decisions", starts["public.relief-decisions"], payer, lambda rs: len(rs) >= 2
    )
    assert [d["data"]["decisions"][0]["relief"] for d in decisions] == ["none", "halved"]
    assert decisions[-1]["data"]["decisions"][0]["employer_relief_fen"] == 150_000

    sizes = await public_records(
        kafka_bootstrap, "public.size-corrections", starts["public.size-corrections"], payer, lambda rs: len(rs) >= 1
    )
    assert sizes == [
        {
            "id": sizes[0]["id"],
            "type": "relief.public.SizeCorrected.v1",
            "data": {
                "credit_code": payer, "size": "small", "previous_size": "large", "first_period": "2020-02",
                "last_period": "2020-06", "basis": "dispute",
            },
        }
    ]  # fmt: skip
    # nothing personal or internal leaks: no reason text, no officer, no account
    assert all("reason" not in json.dumps(r["data"]) for r in details + decisions + sizes)
