"""The assessed liability in GET …/declarations: relief-calc's LiabilityAssessed / Reassessed /
Withdrawn published to the real relief.events topic, read by the service's liabilities projection
and compared with the declaration's current revision. Real PostgreSQL, real Kafka."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from declaration.adapters import liabilities
from eventkit.testing.proofs import caught_up, end_offsets, produce, read_topic

RELIEF = "relief.events"
GROUP = liabilities.projection().group
# The broker is shared: a relief-calc running against it may assess these tests' declarations as
# well, on the same liability stream, from version 1. The tests play relief-calc on versions far
# above, so the projection's order guard (an older version never overwrites a newer one) keeps
# the tests' figures whatever else arrives.
V = 10_000


async def setup_payer(svc: Any, body: dict[str, Any]) -> dict[str, str]:
    r = await svc.client.post("/v1/payers", json=body, headers=svc.token("tax_officer", region=body["region"]))
    assert r.status_code == 201, r.text
    return svc.token("payer", payer=body["credit_code"])  # type: ignore[no-any-return]


def decl(period: str, base_per_head: int = 500_000, heads: int = 10, **extra: Any) -> dict[str, Any]:
    lines = [{"insurance": i, "headcount": heads, "base_fen": base_per_head * heads} for i in ("pension", "medical")]
    return {"fee_period": period, "lines": lines, **extra}


def liability_of(relief: Any, declared: dict[str, Any], *, status: str = "final") -> dict[str, Any]:
    """What relief-calc assesses for a declaration the API returned: pension exempted (阶段性免征),
    medical halved (医保减半), from the amounts the declaration service computed."""
    relief_of = {"pension": "exempt", "medical": "halved"}
    lines = [
        relief.liability_line(x["insurance"], relief_of[x["insurance"]], x["employer_fen"], x["individual_fen"])
        for x in declared["lines"]
    ]
    return relief.liability(declared["credit_code"], declared["fee_period"], declared["revision"], lines, status=status)  # type: ignore[no-any-return]


async def publish(svc: Any, bootstrap: str, envelopes: list[Any]) -> None:
    """Produce to relief.events and wait until the liabilities projection has consumed it all."""
    await produce(bootstrap, RELIEF, envelopes)
    ends = await end_offsets(bootstrap, RELIEF)
    await svc.wait_for(lambda: caught_up(svc.app.state.runtime.sessions, GROUP, ends), timeout_s=120)


async def get(svc: Any, me: dict[str, str], code: str, period: str) -> dict[str, Any]:
    r = await svc.client.get(f"/v1/payers/{code}/declarations/{period}", headers=me)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def listed(svc: Any, me: dict[str, str], code: str, period: str, revision: int, status: str) -> dict[str, Any]:
    """The period's item of the list (a projection of declaration.events), once it shows `revision` in `status`."""

    async def item() -> dict[str, Any] | None:
        params = {"from": period, "to": period}
        items = (await svc.client.get(f"/v1/payers/{code}/declarations", params=params, headers=me)).json()["items"]
        return items[0] if items and (items[0]["revision"], items[0]["status"]) == (revision, status) else None

    return await svc.wait_for(item, timeout_s=120)  # type: ignore[no-any-return]


def ignored_count() -> float:
    labels = {"service": "declaration", "group": GROUP, "topic": RELIEF}
    return REGISTRY.get_sample_value("eventkit_events_ignored_total", labels) or 0.0


async def dead_letter_ids(bootstrap: str) -> set[str]:
    """Ids of the records this service's liabilities projection dead-lettered (relief.events.dlq is
    shared with every other reader of relief.events, relief-calc's own projections included)."""
    records = await read_topic(bootstrap, f"{RELIEF}.dlq", expect_distinct=10**9, timeout_s=2)
    ours = [dict(r.headers) for r in records if dict(r.headers).get("dlq_group") == GROUP.encode()]
    return {bytes(h["ce_id"]).decode() for h in ours if "ce_id" in h}


async def test_assessed_reassessed_and_withdrawn_liabilities_show_against_the_declared_revision(
    service: Any, payer_body: Any, code: Any, relief: Any, kafka_bootstrap: str
) -> None:
    c = code(40)
    me = await setup_payer(service, payer_body(c))
    first = (await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-03"), headers=me)).json()
    assert first["assessment"] == {
        "status": "pending_assessment",
        "revision_assessed": None,
        "employer_original_fen": None,
        "employer_relief_fen": None,
        "employer_payable_fen": None,
        "individual_fen": None,
        "due_date": None,
        "size_used": None,
        "lines": [],
        "assessed_at": None,
    }

    # relief-calc assesses revision 1 (size unknown yet: provisional); before it, an event of
    # relief-calc this service does not read
    rev1 = liability_of(relief, first, status="provisional")
    other = relief.relief_envelope("relief.DeferralGranted", {"credit_code": c, "months": 6}, subject=c, check_contract=False)
    ignored_before = ignored_count()
    await publish(service, kafka_bootstrap, [other, relief.assessed(rev1, V + 1)])
    got = (await get(service, me, c, "2020-03"))["assessment"]
    pension_employer = first["lines"][0]["employer_fen"]
    medical_employer = first["lines"][1]["employer_fen"]
    assert got["status"] == "provisional" and got["revision_assessed"] == 1 and got["size_used"] == "large"
    assert got["employer_original_fen"] == first["employer_fen"]
    assert got["employer_relief_fen"] == pension_employer + (medical_employer + 1) // 2
    assert got["employer_payable_fen"] == medical_employer - (medical_employer + 1) // 2
    assert got["individual_fen"] == first["individual_fen"] and got["due_date"] == "2020-03-15"
    assert [(x["insurance"], x["relief"], x["employer_payable_fen"]) for x in got["lines"]] == [
        ("pension", "exempt", 0),
        ("medical", "halved", rev1["lines"][1]["employer_payable_fen"]),
    ]
    assert got["lines"][0]["basis"]["document"] == "人社部发〔2020〕11号"
    assert (await listed(service, me, c, "2020-03", 1, "submitted"))["assessment"] == got
    # the other event was skipped and counted, not dead-lettered
    assert ignored_count() == ignored_before + 1
    assert other.id not in await dead_letter_ids(kafka_bootstrap)

    # a correction: revision 2 is declared, the figures shown are still revision 1's
    fixed = await service.client.post(
        f"/v1/payers/{c}/declarations", json=decl("2020-03", 450_000, correction={"reason": "工资统计有误"}), headers=me
    )
    assert fixed.status_code == 201 and fixed.json()["revision"] == 2
    pending = (await get(service, me, c, "2020-03"))["assessment"]
    assert pending["status"] == "pending_assessment" and pending["revision_assessed"] == 1
    assert pending["employer_payable_fen"] == got["employer_payable_fen"]
    assert (await listed(service, me, c, "2020-03", 2, "submitted"))["assessment"]["status"] == "pending_assessment"

    # relief-calc reassesses revision 2 (the size is known now: final)
    rev2 = liability_of(relief, fixed.json())
    await publish(service, kafka_bootstrap, [relief.reassessed(rev1, rev2, V + 2, ("declaration", "size"))])
    now = (await get(service, me, c, "2020-03"))["assessment"]
    assert now["status"] == "assessed" and now["revision_assessed"] == 2 and now["size_used"] == "small"
    assert (now["employer_payable_fen"], now["employer_relief_fen"], now["individual_fen"]) == (
        rev2["employer_payable_fen"],
        rev2["employer_relief_fen"],
        rev2["individual_fen"],
    )
    assert now["employer_payable_fen"] < got["employer_payable_fen"]  # a lower base, a lower liability
    assert (await listed(service, me, c, "2020-03", 2, "submitted"))["assessment"] == now

    # a stale copy of the first assessment (older stream version) does not overwrite it
    await publish(service, kafka_bootstrap, [relief.assessed(rev1, V + 1)])
    assert (await get(service, me, c, "2020-03"))["assessment"] == now

    # voided: the liability stands until relief-calc withdraws it
    voided = await service.client.post(f"/v1/payers/{c}/declarations/2020-03:void", json={"reason": "重复申报"}, headers=me)
    assert voided.status_code == 200 and voided.json()["assessment"]["status"] == "pending_assessment"
    await publish(service, kafka_bootstrap, [relief.withdrawn(rev2, V + 3)])
    gone = (await get(service, me, c, "2020-03"))["assessment"]
    assert gone["status"] == "withdrawn" and gone["revision_assessed"] == 2
    assert gone["employer_payable_fen"] is None and gone["lines"] == []
    assert (await listed(service, me, c, "2020-03", 2, "voided"))["assessment"]["status"] == "withdrawn"


async def test_a_held_correction_shows_the_standing_figures_of_the_revision_assessed_before(
    service: Any, payer_body: Any, code: Any, relief: Any, kafka_bootstrap: str
) -> None:
    c = code(41)
    me = await setup_payer(service, payer_body(c))
    first = (await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-04"), headers=me)).json()
    rev1 = liability_of(relief, first)
    await publish(service, kafka_bootstrap, [relief.assessed(rev1, V + 1)])
    assert (await get(service, me, c, "2020-04"))["assessment"]["status"] == "assessed"

    raised = await service.client.post(
        f"/v1/payers/{c}/declarations", json=decl("2020-04", 900_000, correction={"reason": "补报奖金"}), headers=me
    )
    assert raised.json()["status"] == "held_for_audit"
    held = (await get(service, me, c, "2020-04"))["assessment"]
    assert held["status"] == "held_for_audit" and held["revision_assessed"] == 1
    assert held["employer_payable_fen"] == rev1["employer_payable_fen"]
    officer = service.token("tax_officer", sub="officer-9", region="320600")
    approved = await service.client.post(
        f"/v1/payers/{c}/declarations/2020-04/audit-decision", json={"decision": "approve"}, headers=officer
    )
    assert approved.json()["assessment"]["status"] == "pending_assessment"
    assert approved.json()["assessment"]["revision_assessed"] == 1


async def test_a_newer_version_of_a_liability_event_is_dead_lettered_not_skipped(
    service: Any, payer_body: Any, code: Any, relief: Any, kafka_bootstrap: str
) -> None:
    """The reader tolerates other relief-calc events, never a known event at a version it cannot read."""
    c = code(42)
    me = await setup_payer(service, payer_body(c))
    first = (await service.client.post(f"/v1/payers/{c}/declarations", json=decl("2020-06"), headers=me)).json()
    newer = relief.relief_envelope(
        "relief.LiabilityAssessed", {"liability": liability_of(relief, first)}, subject=c, version=2, check_contract=False
    )
    await publish(service, kafka_bootstrap, [newer])  # consumed: a dead letter is acknowledged before the offset moves
    assert newer.id in await dead_letter_ids(kafka_bootstrap)
