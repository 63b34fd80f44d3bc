"""Declarations over their life: validation and self-check, corrections, voids, audit holds,
idempotent retries, listing; the events validated against their contracts; rebuild."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from declaration.adapters import liabilities as liabilities_projection
from declaration.adapters import projections
from declaration.adapters.tables import declarations, kernel, liabilities
from eventkit.contracts import validate_envelope
from eventkit.projection import fingerprint, reset
from eventkit.store import row_to_envelope
from eventkit.testing.proofs import caught_up as proofs_caught_up
from eventkit.testing.proofs import end_offsets, produce

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"


async def setup_payer(svc: Any, body: dict[str, Any]) -> dict[str, str]:
    r = await svc.client.post("/v1/payers", json=body, headers=svc.token("tax_officer", region=body["region"]))
    assert r.status_code == 201, r.text
    return svc.token("payer", payer=body["credit_code"])  # type: ignore[no-any-return]


def decl(period: str, base_per_head: int = 500_000, heads: int = 10, **extra: Any) -> dict[str, Any]:
    body = {
        "fee_period": period,
        "lines": [{"insurance": i, "headcount": heads, "base_fen": base_per_head * heads} for i in ("pension", "medical")],
    }
    body.update(extra)
    return body


async def event_count(svc: Any) -> int:
    async with svc.app.state.sessions() as s:
        return int(await s.scalar(sa.select(sa.func.count()).select_from(kernel.events)) or 0)


async def test_invalid_declaration_lists_every_field_in_both_languages_and_records_nothing(
    service: Any, payer_body: Any, code: Any
) -> None:
    c = code(10)
    body = payer_body(c, enrollments=[{"insurance": "pension", "since": "2020-01-01"}])
    me = await setup_payer(service, body)
    bad = {
        "fee_period": "2019-12",  # before the payer was insured
        "lines": [
            {"insurance": "pension", "headcount": 2, "base_fen": 100},  # far below the band
            {"insurance": "medical", "headcount": 1, "base_fen": 500_000},  # not enrolled
            {
                "insurance": "pension",
                "headcount": 1,
                "base_fen": 500_000,  # listed twice, detail inconsistent
                "employees": [{"id_number": "110105194912310021", "name": "李四", "base_fen": 400_000}],
            },
        ],
    }
    before = await event_count(service)
    r = await service.client.post(f"/v1/payers/{c}/declarations", json=bad, headers=me)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    errors = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert ("lines.0.insurance", "insurance.before_enrollment") in errors
    assert ("lines.0.base_fen", "base.band") in errors
    assert ("lines.1.insurance", "insurance.not_enrolled") in errors
    assert ("lines.2.insurance", "insurance.duplicate") in errors
    assert ("lines.2.base_fen", "base.sum") in errors
    assert all(e["reason"] and e["reason_zh"] for e in r.json()["errors"])
    future = await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2099-01"), headers=me)
    assert ("fee_period", "fee_period.future") in {(e["field"], e["code"]) for e in future.json()["errors"]}

    check = await service.client.post(f"/v1/payers/{c}/declarations:check", json=bad, headers=me)
    assert check.status_code == 200 and check.json()["ok"] is False
    assert {(e["field"], e["code"]) for e in check.json()["errors"]} == errors
    good = await service.client.post(
        f"/v1/payers/{c}/declarations:check", json=decl("2020-03") | {"lines": decl("2020-03")["lines"][:1]}, headers=me
    )
    assert good.json()["ok"] is True and good.json()["employer_fen"] == 800_000
    assert await event_count(service) == before  # neither refusals nor the self-check recorded anything


async def test_second_declaration_is_409_correction_makes_a_revision_void_allows_a_new_one(
    service: Any, payer_body: Any, code: Any
) -> None:
    c = code(11)
    me = await setup_payer(service, payer_body(c))
    assert (await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-01"), headers=me)).status_code == 201
    again = await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-01", 600_000), headers=me)
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "declaration.exists"
    fixed = await service.client.post(
        f"/v1/payers/{c}/declarations", json=decl("2020-01", 450_000, correction={"reason": "工资统计有误"}), headers=me
    )
    assert fixed.status_code == 201 and fixed.json()["revision"] == 2 and fixed.json()["status"] == "submitted"
    voided = await service.client.post(f"/v1/payers/{c}/declarations/2020-01:void", json={"reason": "重复申报"}, headers=me)
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    anew = await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-01"), headers=me)
    assert anew.status_code == 201 and anew.json()["revision"] == 3
    async with service.app.state.sessions() as s:
        rows = (
            await s.execute(sa.select(kernel.events).where(kernel.events.c.subject == c).order_by(kernel.events.c.position))
        ).all()
    types = [r.event_type for r in rows]
    assert types == [
        "declaration.PayerRegistered",
        "declaration.DeclarationSubmitted",
        "declaration.DeclarationCorrected",
        "declaration.DeclarationVoided",
        "declaration.DeclarationSubmitted",
    ]
    corrected = rows[2].data
    assert (
        corrected["previous_revision"] == 1 and corrected["previous_employer_fen"] == 5_000_000 * 16 // 100 + 5_000_000 * 7 // 100
    )
    for row in rows:  # every event the service wrote matches its published contract
        validate_envelope(row_to_envelope(row._mapping), CONTRACTS)


async def test_raising_the_base_inside_the_relief_window_is_held_until_an_officer_approves(
    service: Any, payer_body: Any, code: Any
) -> None:
    c = code(12)
    me = await setup_payer(service, payer_body(c))
    assert (
        await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-02", 500_000), headers=me)
    ).status_code == 201
    raised = await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-03", 900_000), headers=me)
    assert raised.status_code == 201 and raised.json()["status"] == "held_for_audit"
    assert raised.json()["assessment"]["status"] == "held_for_audit"
    denied = await service.client.post(
        f"/v1/payers/{c}/declarations/2020-03/audit-decision", json={"decision": "approve"}, headers=me
    )
    assert denied.status_code == 403  # a payer cannot approve its own
    officer = service.token("tax_officer", sub="officer-7", region="320600")
    ok = await service.client.post(
        f"/v1/payers/{c}/declarations/2020-03/audit-decision", json={"decision": "approve", "note": "工资单已核"}, headers=officer
    )
    assert (
        ok.status_code == 200 and ok.json()["status"] == "submitted" and ok.json()["assessment"]["status"] == "pending_assessment"
    )
    twice = await service.client.post(
        f"/v1/payers/{c}/declarations/2020-03/audit-decision", json={"decision": "reject"}, headers=officer
    )
    assert twice.status_code == 409
    outside = await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2019-12", 900_000), headers=me)
    assert outside.json()["status"] == "submitted"  # no window in 2019: no hold


async def test_a_retried_request_with_the_same_idempotency_key_acts_once(service: Any, payer_body: Any, code: Any) -> None:
    c = code(13)
    me = await setup_payer(service, payer_body(c))
    headers = {**me, "Idempotency-Key": f"decl-{c}-2020-04"}
    first = await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-04"), headers=headers)
    second = await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-04"), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("idempotent-replayed") == "true" and second.json() == first.json()
    other = await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-04", 600_000), headers=headers)
    assert other.status_code == 422
    async with service.app.state.sessions() as s:
        n = await s.scalar(
            sa.select(sa.func.count())
            .select_from(kernel.events)
            .where(kernel.events.c.event_type == "declaration.DeclarationSubmitted", kernel.events.c.subject == c)
        )
    assert n == 1


async def test_employee_detail_is_sealed_everywhere_and_listing_pages_through_periods(
    service: Any, payer_body: Any, code: Any
) -> None:
    c = code(14)
    me = await setup_payer(service, payer_body(c))
    detail = {
        "fee_period": "2020-05",
        "lines": [
            {
                "insurance": "pension",
                "headcount": 2,
                "base_fen": 1_000_000,
                "employees": [
                    {"id_number": "11010519491231002X", "name": "王小明", "base_fen": 500_000},
                    {
                        "id_number": "320602199001011234"[:17] + _check("320602199001011234"[:17]),
                        "name": "赵六",
                        "base_fen": 500_000,
                    },
                ],
            }
        ],
    }
    r = await service.client.post(f"/v1/payers/{c}/declarations", json=detail, headers=me)
    assert r.status_code == 201, r.text
    text = r.text
    assert "11010519491231002X" not in text and "王小明" not in text
    assert r.json()["lines"][0]["employees"][0]["name"]["masked"] == "王**"
    async with service.app.state.sessions() as s:
        stored = json.dumps([row.data for row in (await s.execute(sa.select(kernel.events))).all()], ensure_ascii=False)
    assert "11010519491231002X" not in stored and "王小明" not in stored
    for period in ("2020-06", "2020-07", "2020-08"):
        assert (await service.client.post(f"/v1/payers/{c}/declarations", json=decl(period), headers=me)).status_code == 201

    async def listed() -> list[str]:
        seen, token = [], None
        while True:
            params = {"from": "2020-05", "to": "2020-12", "page_size": 2} | ({"page_token": token} if token else {})
            page = (await service.client.get(f"/v1/payers/{c}/declarations", params=params, headers=me)).json()
            seen += [i["fee_period"] for i in page["items"]]
            token = page["next_page_token"]
            if not token:
                return seen

    periods = await service.wait_for(lambda: _when(listed(), lambda v: v == ["2020-05", "2020-06", "2020-07", "2020-08"]))
    assert periods


async def _when(coro: Any, ok: Any) -> Any:
    value = await coro
    return value if ok(value) else None


def _check(first17: str) -> str:
    from refdata.codes import id_check_char

    return id_check_char(first17)


@pytest.mark.replay_from_beginning
async def test_rebuilding_the_projections_reproduces_their_fingerprint(
    service: Any, payer_body: Any, code: Any, relief: Any, kafka_bootstrap: str
) -> None:
    c = code(15)
    me = await setup_payer(service, payer_body(c))
    declared = []
    for period in ("2020-01", "2020-02"):
        declared.append((await service.client.post(f"/v1/payers/{c}/declarations", json=decl(period), headers=me)).json())
    await service.client.post(f"/v1/payers/{c}/declarations/2020-02:void", json={"reason": "x"}, headers=me)
    project = {"project_code": "P-15", "name": "某工程", "started": "2020-03-01", "planned_months": 12, "premium_fen": 9_999}
    assert (await service.client.post(f"/v1/payers/{c}/projects", json=project, headers=me)).status_code == 201
    # relief-calc's answers on relief.events, for the liabilities projection (stream versions far
    # above any a relief-calc sharing the broker would use: see test_liabilities.py)
    lines = [
        relief.liability_line(x["insurance"], "halved", x["employer_fen"], x["individual_fen"]) for x in declared[0]["lines"]
    ]
    january = relief.liability(c, "2020-01", 1, lines)
    february = relief.liability(c, "2020-02", 1, lines)
    await produce(
        kafka_bootstrap,
        "relief.events",
        [relief.assessed(january, 10_001), relief.assessed(february, 10_001), relief.withdrawn(february, 10_002)],
    )
    runtime = service.app.state.runtime

    async def caught_up() -> bool:
        async with runtime.sessions() as s:
            status = await s.scalar(sa.select(declarations.c.status).where(declarations.c.declaration_id == f"{c}-2020-02"))
            withdrawn = await s.scalar(
                sa.select(liabilities.c.status).where(liabilities.c.credit_code == c, liabilities.c.fee_period == "2020-02")
            )
        return status == "voided" and withdrawn == "withdrawn"

    await service.wait_for(caught_up, timeout_s=600)
    rebuilt = [projections.projection(), liabilities_projection.projection()]
    for projection in rebuilt:  # the topics hold other tests' payers too: wait until all is applied
        for topic in projection.topics:
            ends = await _quiet_ends(kafka_bootstrap, topic)
            await service.wait_for(lambda p=projection, e=ends: proofs_caught_up(runtime.sessions, p.group, e), timeout_s=600)
    await runtime.stop()  # a rebuild runs with the consumers stopped
    from eventkit.rebuild import rebuild

    for projection in rebuilt:
        live = await fingerprint(runtime.sessions, projection.tables)
        live_rows = await _dump(runtime.sessions, projection.tables)
        await reset(runtime.sessions, runtime.definition.kernel, projection)
        async with runtime.sessions() as s:
            assert await s.scalar(sa.select(sa.func.count()).select_from(projection.tables[0])) == 0
        results = await rebuild(runtime, [projection], show_progress=False)
        if results[0].fingerprint != live:  # say which rows differ before failing
            rebuilt_rows = await _dump(runtime.sessions, projection.tables)
            only_live, only_rebuilt = sorted(live_rows - rebuilt_rows)[:5], sorted(rebuilt_rows - live_rows)[:5]
            raise AssertionError(
                f"{projection.name}: rebuild differs: {len(live_rows)} live rows, {len(rebuilt_rows)} rebuilt; "
                f"live only {only_live}; rebuilt only {only_rebuilt}"
            )


async def _quiet_ends(bootstrap: str, topic: str) -> dict[int, int]:
    """The topic's end offsets once they have not moved for two seconds (other tests and services
    may be writing to the shared broker)."""
    ends = await end_offsets(bootstrap, topic)
    for _ in range(60):
        await asyncio.sleep(2)
        now = await end_offsets(bootstrap, topic)
        if now == ends:
            break
        ends = now
    return ends


async def _dump(sessions: Any, tables: Any) -> set[str]:
    from eventkit.projection import canonical_row

    out = set()
    async with sessions() as s:
        for table in tables:
            for row in (await s.execute(sa.select(table))).all():
                out.add(table.name + ":" + canonical_row(row._mapping).decode())
    return out
