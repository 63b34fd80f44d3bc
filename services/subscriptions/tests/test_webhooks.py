"""Webhooks end to end against real Kafka, PostgreSQL and a real HTTP receiver: the agency gets
each chosen event once, signed (verified independently), the same webhook-id on the retry after
its 500, none of the unchosen; the delivery log shows the attempts; a replay from T re-delivers;
callback URLs in non-public ranges are refused with a 422 naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from classification.domain.public_events import SizeCorrected
from eventkit.cli import build_app
from eventkit.crypto import Keyring
from eventkit.web.tokens import generate_keypair
from relief_calc.domain.public_events import CollectionAssessed, CollectionLine, Decision, ReliefDecision
from subscriptions.service import SPEC

from .conftest import Service, credit_code, public_envelope, settings_for
from .receiver import Received, receiving, verify

ASSESSED, DECISION, SIZE = (
    "relief.public.CollectionAssessed.v1",
    "relief.public.ReliefDecision.v1",
    "relief.public.SizeCorrected.v1",
)


def events_for(code: str) -> dict[str, Any]:
    assessed = CollectionAssessed(
        credit_code=code, fee_period="2020-03", region="320600", status="final",
        lines=(CollectionLine(insurance="pension", employer_original_fen=160_000, employer_relief_fen=160_000,
                              employer_payable_fen=0, individual_fen=64_000),),
        employer_original_fen=160_000, employer_relief_fen=160_000, employer_payable_fen=0, individual_fen=64_000,
    )  # fmt: skip
    decision = ReliefDecision(
        credit_code=code, fee_period="2020-03", region="320600", unit_type="enterprise", size_used="small",
        status="final", decisions=(Decision(insurance="pension", relief="exempt", employer_relief_fen=160_000, basis=None),),
        policies=(),
    )  # fmt: skip
    size = SizeCorrected(
        credit_code=code, size="small", previous_size="large", first_period="2020-02", last_period="2020-06", basis="dispute"
    )
    return {
        "public.collection-details": public_envelope(assessed, code, "/relief/relief-calc", f"public-collection-{code}-2020-03"),
        "public.relief-decisions": public_envelope(decision, code, "/relief/relief-calc", f"public-decision-{code}-2020-03"),
        "public.size-corrections": public_envelope(size, code, "/relief/classification", f"public-size-{code}"),
    }


def ids(requests: list[Received]) -> list[str]:
    return [json.loads(r.body)["id"] for r in requests]


async def test_chosen_events_are_delivered_signed_once_retried_with_the_same_id_and_replayed(service: Service) -> None:
    agency = service.token("agency", sub="yibao-nantong")
    with receiving() as rec:
        rec.fail_first = 1
        r = await service.client.post(
            "/v1/webhooks", headers=agency, json={"url": rec.url, "event_types": [ASSESSED, SIZE], "description": "医保 南通"}
        )
        assert r.status_code == 201, r.text
        hook = r.json()
        secret, webhook_id = hook["secret"], hook["webhook_id"]
        assert secret.startswith("whsec_") and hook["agency"] == "yibao-nantong" and hook["status"] == "active"
        # the secret is shown once: never again, and never stored in the clear
        again = (await service.client.get(f"/v1/webhooks/{webhook_id}", headers=agency)).json()
        assert "secret" not in again and secret not in json.dumps(again)

        code = credit_code(1)
        before = datetime.now(UTC) - timedelta(seconds=1)
        envelopes = events_for(code)
        for topic, env in envelopes.items():
            await service.publish(topic, [env])
        await service.wait_for(lambda: _at_least(rec.requests, 2))

        chosen = {envelopes["public.collection-details"].id, envelopes["public.size-corrections"].id}
        assert sorted(ids(rec.requests)) == sorted(chosen)  # each chosen event once, the unchosen not at all
        for got in rec.failed + rec.requests:
            verify(secret, got.headers, got.body)
            assert got.headers["content-type"] == "application/json"
        # the 500 was retried with the same webhook-id
        assert len(rec.failed) == 1
        assert rec.failed[0].headers["webhook-id"] in {g.headers["webhook-id"] for g in rec.requests}
        body = json.loads(rec.requests[0].body)
        assert body["specversion"] == "1.0" and body["subject"] == code and body["type"] in (ASSESSED, SIZE)

        async def logged() -> Any:
            log = (await service.client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=agency)).json()["deliveries"]
            return log if len(log) == 2 and all(d["status"] == "delivered" for d in log) else None

        log = await service.wait_for(logged)
        retried = next(d for d in log if d["attempts"] == 2)
        assert [a["status_code"] for a in retried["attempt_log"]] == [500, 204]
        assert [a["outcome"] for a in retried["attempt_log"]] == ["failed", "delivered"]
        assert all(isinstance(a["latency_ms"], int) for a in retried["attempt_log"])
        one = await service.client.get(f"/v1/webhooks/{webhook_id}/deliveries/{retried['delivery_id']}", headers=agency)
        assert one.status_code == 200 and one.json()["delivery_id"] == rec.failed[0].headers["webhook-id"]

        # replay from T: both chosen events again, as new deliveries (new webhook-ids, same event ids)
        async def archived() -> Any:
            r = await service.client.post(
                f"/v1/webhooks/{webhook_id}/replays", headers=agency, json={"since": before.isoformat()}
            )
            assert r.status_code == 202, r.text
            return r.json() if r.json()["queued"] == 2 else None

        replay = await service.wait_for(archived)
        await service.wait_for(lambda: _at_least(rec.requests, 4 + 2 * (replay["queued"] > 2)))
        replayed = [g for g in rec.requests[2:]]
        assert sorted(set(ids(replayed))) == sorted(chosen)
        assert not {g.headers["webhook-id"] for g in replayed} & {g.headers["webhook-id"] for g in rec.requests[:2]}
        for got in replayed:
            verify(secret, got.headers, got.body)
        # a replay since after the events queues nothing
        later = datetime.now(UTC) + timedelta(minutes=1)
        r = await service.client.post(f"/v1/webhooks/{webhook_id}/replays", headers=agency, json={"since": later.isoformat()})
        assert r.json()["queued"] == 0


async def _at_least(items: list[Any], n: int) -> bool:
    return len(items) >= n


async def test_agencies_see_only_their_own_webhooks_and_a_revoked_one_gets_nothing(service: Service) -> None:
    nantong, wuhan = service.token("agency", sub="renshe-nantong"), service.token("agency", sub="renshe-wuhan")
    with receiving() as rec:
        r = await service.client.post("/v1/webhooks", headers=nantong, json={"url": rec.url, "event_types": [SIZE]})
        webhook_id = r.json()["webhook_id"]
        assert (await service.client.get(f"/v1/webhooks/{webhook_id}", headers=wuhan)).status_code == 404
        assert (await service.client.get("/v1/webhooks", headers=wuhan)).json()["webhooks"] == []
        ops = (await service.client.get("/v1/webhooks", headers=service.token("ops", sub="ops-1"))).json()["webhooks"]
        assert webhook_id in {w["webhook_id"] for w in ops}
        assert (await service.client.delete(f"/v1/webhooks/{webhook_id}", headers=wuhan)).status_code == 404
        revoked = await service.client.delete(f"/v1/webhooks/{webhook_id}", headers=nantong)
        assert revoked.json()["status"] == "revoked"
        code = credit_code(2)
        await service.publish("public.size-corrections", [events_for(code)["public.size-corrections"]])
        unknown = await service.client.post(
            "/v1/webhooks", headers=nantong, json={"url": rec.url, "event_types": ["relief.x.v1"]}
        )
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.event_types"
        types = (await service.client.get("/v1/event-types", headers=nantong)).json()["event_types"]
        assert {t["type"] for t in types} == {ASSESSED, DECISION, SIZE, "relief.public.CollectionPaid.v1"}
        assert rec.attempts == 0


async def test_callback_urls_in_non_public_ranges_are_refused_with_422_naming_the_field(
    new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    private, public = generate_keypair()
    Keyring.write_new(tmp_path / "data.key")
    settings = settings_for(
        new_pg_database("subscriptions_ssrf"), kafka_bootstrap, public, tmp_path / "data.key",
        allow_private_callbacks=False, require_https=True,
    )  # fmt: skip
    app = build_app(SPEC, settings)  # no lifespan: a refusal never reaches the database
    from eventkit.web.tokens import issue_token

    headers = {"Authorization": "Bearer " + issue_token(private, "renshe-nantong", ["agency"])}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://subscriptions") as client:
        for url in (
            "https://127.0.0.1/hook", "https://localhost:8443/hook", "https://[::1]/hook", "https://169.254.169.254/latest",
            "https://10.0.0.8/hook", "https://172.20.1.1/hook", "https://192.168.10.1/hook", "https://100.64.0.9/hook",
            "https://[fd00::1]/hook", "https://[fe80::1]/hook", "https://[::ffff:192.168.0.1]/hook", "http://8.8.8.8/hook",
        ):  # fmt: skip
            r = await client.post("/v1/webhooks", headers=headers, json={"url": url, "event_types": [SIZE]})
            assert r.status_code == 422, (url, r.text)
            problem = r.json()
            assert problem["errors"][0]["field"] == "body.url", url
            assert problem["errors"][0]["code"] == "callback-refused"
