"""Policy impact simulation against real PostgreSQL: the inputs are filled by the real inputs
projection handler from declaration, classification and policy events; the baseline equals what
the real assessor records; POST /v1/simulations and `relief-calc simulate` give the same answer;
bad drafts and filters are 422s naming the field; nothing is written."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
import yaml

from eventkit.cli import build_app
from eventkit.events import Event, Message, new_envelope
from eventkit.migrations import upgrade
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code
from relief_calc.adapters import inputs
from relief_calc.adapters import readers as r
from relief_calc.adapters.tables import kernel, metadata
from relief_calc.application.assessor import Assessor
from relief_calc.application.policies import policy_files
from relief_calc.domain.events import registry
from relief_calc.domain.policies import default_policy_dir
from relief_calc.domain.policy_events import policy_published
from relief_calc.service import SPEC

NANTONG, SUZHOU, WUHAN = "320600", "320500", "420100"
PERIODS = ("2020-03", "2020-05", "2020-08", "2020-11")
DRAFT: dict[str, Any] = {
    "id": "draft-large-halved-2020-12",
    "document_number": "草案〔2020〕1号",
    "title": "大型企业等其他参保单位减半征收延长至2020年12月（草案）",
    "issuer": "测算",
    "published": "2020-09-01",
    "kind": "relief",
    "periods": {"from": "2020-07", "to": "2020-12"},
    "overrides": "mohrss-2020-11",
    "clauses": [{"ref": "第一条", "text": "大型企业等其他参保单位减半征收，延长执行到2020年12月底。"}],
    "amend": {"others-halved": {"clause": "第一条", "periods": {"to": "2020-12"}}},
}
SIM = "/v1/simulations"


def _message(event: Event, subject: str) -> Message:
    return Message(new_envelope(event, source="/relief/test", subject=subject), event)


def _events() -> list[Message]:
    """The shipped policies, then per region 5 payers × 4 periods (large, small, not classified,
    classified small then corrected to large, a social organisation), a voided and a held one."""
    out = []
    for name, policy in policy_files(default_policy_dir()):
        out.append(_message(policy_published(policy, by="test", source=f"file:{name}"), policy.id))
    for r_i, region in enumerate((NANTONG, SUZHOU, WUHAN)):
        for n, unit_type in enumerate(("enterprise",) * 4 + ("social_organization",)):
            code = make_credit_code(f"91{region}MA{r_i}{n:06d}")
            for period in PERIODS:
                out.append(_message(r.DeclarationSubmitted(declaration=_content(code, period, region, unit_type, n)), code))
            sizes = {0: ["large"], 1: ["small"], 3: ["small", "large"]}.get(n, [])
            for i, size in enumerate(sizes):
                kind = r.EnterpriseSizeAssigned if i == 0 else r.EnterpriseSizeCorrected
                out.append(
                    _message(kind(credit_code=code, size=size, periods=r.SizePeriods(first="2020-01", last="2020-12")), code)
                )
    voided = make_credit_code(f"91{NANTONG}MA9000001")
    out.append(_message(r.DeclarationSubmitted(declaration=_content(voided, "2020-08", NANTONG, "enterprise", 7)), voided))
    args = {"declaration_id": f"d-{voided}-2020-08", "credit_code": voided, "fee_period": "2020-08", "revision": 1}
    out.append(_message(r.DeclarationVoided(**args), voided))
    held = make_credit_code(f"91{NANTONG}MA9000002")
    content = _content(held, "2020-08", NANTONG, "enterprise", 8).model_copy(update={"audit_hold": True})
    out.append(_message(r.DeclarationSubmitted(declaration=content), held))
    return out


def _content(code: str, period: str, region: str, unit_type: str, n: int) -> r.DeclaredContent:
    rates = (("pension", "0.16", "0.08"), ("unemployment", "0.005", "0.005"), ("work_injury", "0.004", "0"))
    return r.DeclaredContent(
        declaration_id=f"d-{code}-{period}",
        credit_code=code,
        fee_period=period,
        revision=1,
        region=region,
        unit_type=unit_type,
        lines=tuple(
            r.DeclaredLine(insurance=i, base_fen=5_000_000 + 1_001 * n, employer_rate=e, individual_rate=p) for i, e, p in rates
        ),
    )


@pytest.fixture
def database(new_pg_database: Callable[[str], str]) -> str:
    url = new_pg_database("rc_sim")
    upgrade(url, SPEC.migrations_dir)
    return url


@pytest_asyncio.fixture
async def api(database: str) -> AsyncIterator[tuple[httpx.AsyncClient, Any, str]]:
    private, public = generate_keypair()
    app = build_app(SPEC, SPEC.settings_cls(database_url=database, auth_jwt_public_key=public, policy_dir=""))
    sessions = app.state.runtime.sessions
    async with sessions() as session, session.begin():
        for message in _events():
            await inputs.apply(session, message)
    assessor = Assessor(sessions, app.state.runtime.store, registry)
    while await assessor.run_once():
        pass
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relief-calc") as client:
        yield client, sessions, private
    await app.state.runtime.engine.dispose()


def _auth(key: str, *roles: str, **claims: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + issue_token(key, "someone", list(roles), **claims)}


async def _row_counts(sessions: Any) -> dict[str, int]:
    async with sessions() as session:
        return {t.name: int(await session.scalar(sa.select(sa.func.count()).select_from(t)) or 0) for t in metadata.sorted_tables}


async def test_a_draft_is_simulated_against_the_policies_in_force_and_nothing_is_written(api: Any) -> None:
    client, sessions, key = api
    before = await _row_counts(sessions)
    assert before[kernel.events.name] > 0 and before[kernel.outbox.name] > 0  # the assessor's liabilities
    r1 = await client.post(SIM, json={"draft": DRAFT}, headers=_auth(key, "policy_admin"))
    assert r1.status_code == 200, r1.text
    out = r1.json()
    assert await _row_counts(sessions) == before  # no event, no outbox row, no mark, no table row at all
    assert (await client.post(SIM, json={"draft": DRAFT}, headers=_auth(key, "auditor"))).json() == out  # deterministic

    assert out["draft"]["policy_id"] == DRAFT["id"] and out["draft"]["content_hash"].startswith("sha256:")
    assert "mohrss-2020-49" in {p["policy_id"] for p in out["baseline"]}
    assert out["excluded"] == {"held": 1, "voided": 1} and out["failed"] == 0
    rows = out["rows"]
    keys = [(x["region"], x["fee_period"], x["insurance"], x["size"]) for x in rows]
    assert len(set(keys)) == len(keys)
    assert [k[:2] for k in keys] == sorted(k[:2] for k in keys)
    changed = {k for k, x in zip(keys, rows, strict=True) if any(x["difference"].values())}
    # outside Hubei, large, corrected-to-large, unclassified enterprises and social organisations
    # are halved in 2020-08 and 2020-11 too; SMEs and Hubei (exempt to 06 by its own policy) are not
    assert {(k[0], k[1], k[3]) for k in changed} == {
        (region, period, size)
        for region in (SUZHOU, NANTONG)
        for period in ("2020-08", "2020-11")
        for size in ("large", "unknown", "n/a")
    }
    large = next(
        x for x in rows if (x["region"], x["fee_period"], x["insurance"], x["size"]) == (NANTONG, "2020-08", "pension", "large")
    )
    assert large["payer_periods"] == 2  # assigned large, and corrected to large
    assert large["baseline"]["employer_relief_fen"] == 0
    assert large["draft"]["employer_relief_fen"] == large["employer_original_fen"] - large["draft"]["employer_payable_fen"] > 0
    totals = out["totals"]
    for side in ("baseline", "draft", "difference"):
        for name in ("employer_relief_fen", "employer_payable_fen"):
            assert totals[side][name] == sum(x[side][name] for x in rows)
    assert totals["payer_periods"] == 3 * 5 * len(PERIODS)
    assert totals["relief_changed"] == totals["payable_changed"] == 2 * 2 * 4  # 2 regions × 2 periods × 4 units

    # The baseline is exactly what the assessor recorded for the same payer-periods.
    async with sessions() as session:
        data = (
            await session.execute(sa.select(kernel.events.c.data).where(kernel.events.c.event_type == "relief.LiabilityAssessed"))
        ).all()
    recorded = [d["liability"] for (d,) in data]
    assert len(recorded) == totals["payer_periods"]
    assert sum(x["employer_payable_fen"] for x in recorded) == totals["baseline"]["employer_payable_fen"]
    assert sum(x["employer_relief_fen"] for x in recorded) == totals["baseline"]["employer_relief_fen"]


async def test_filters_by_region_and_period(api: Any) -> None:
    client, _, key = api
    body = {"draft": DRAFT, "filters": {"regions": [SUZHOU, WUHAN], "from": "2020-05", "to": "2020-08"}}
    out = (await client.post(SIM, json=body, headers=_auth(key, "tax_officer"))).json()
    assert {(x["region"], x["fee_period"]) for x in out["rows"]} == {
        (g, p) for g in (SUZHOU, WUHAN) for p in ("2020-05", "2020-08")
    }
    assert out["filters"] == {"regions": [SUZHOU, WUHAN], "from": "2020-05", "to": "2020-08"}
    assert out["totals"]["payer_periods"] == 2 * 5 * 2 and out["excluded"] == {}


async def test_who_may_simulate(api: Any) -> None:
    client, _, key = api
    body = {"draft": DRAFT}
    assert (await client.post(SIM, json=body)).status_code == 401
    for role in ("payer", "hr_officer", "finance_officer"):
        assert (await client.post(SIM, json=body, headers=_auth(key, role))).status_code == 403, role
    for role in ("policy_admin", "tax_officer", "auditor", "admin"):
        assert (await client.post(SIM, json=body, headers=_auth(key, role))).status_code == 200, role
    officer = _auth(key, "tax_officer", region=SUZHOU)  # an officer of one pooling region: that region only
    mine = (await client.post(SIM, json=body, headers=officer)).json()
    assert {x["region"] for x in mine["rows"]} == {SUZHOU}
    other = await client.post(SIM, json={"draft": DRAFT, "filters": {"regions": [NANTONG]}}, headers=officer)
    assert other.status_code == 403 and other.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"draft": {**DRAFT, "kind": "bonus"}}, "draft.kind"),
        ({"draft": {**DRAFT, "periods": {"from": "2020-13"}}}, "draft.periods"),
        ({"draft": "not a policy"}, "draft"),
        ({}, "draft"),
        ({"draft": {**DRAFT, "overrides": "mohrss-2099-1"}}, "draft.overrides"),  # not a published policy
        ({"draft": {**DRAFT, "amend": {"no-such-rule": {"relief": "exempt"}}}}, "draft"),  # does not fit the set
        ({"draft": {**DRAFT, "id": "mohrss-2020-49", "published": "2020-06-22"}}, "draft.published"),  # same day, other content
        ({"draft": DRAFT, "filters": {"from": "2020-09", "to": "2020-03"}}, "filters.from"),
        ({"draft": DRAFT, "filters": {"to": "2020-13"}}, "filters.to"),
        ({"draft": DRAFT, "filters": {"regions": ["3206"]}}, "filters.regions.0"),
        ({"draft": DRAFT, "filters": {"regions": [NANTONG, "110100"]}}, "filters.regions.1"),  # no such region here
        ({"draft": DRAFT, "filters": {"region": NANTONG}}, "region"),
    ],
)
async def test_bad_requests_are_422_naming_the_field_in_chinese_and_english(api: Any, body: dict[str, Any], field: str) -> None:
    client, sessions, key = api
    before = await _row_counts(sessions)
    response = await client.post(SIM, json=body, headers=_auth(key, "policy_admin"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert any(e["field"].startswith(field) for e in errors), errors
    assert all(e["reason"] and e.get("reason_zh") for e in errors), errors
    assert await _row_counts(sessions) == before


async def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, env=env, timeout=120)


async def test_the_command_line_prints_the_same_result(api: Any, database: str, tmp_path: Path) -> None:
    client, sessions, key = api
    draft_file = tmp_path / "draft.yaml"
    draft_file.write_text(yaml.safe_dump(DRAFT, allow_unicode=True), encoding="utf-8")
    filters = {"regions": [NANTONG], "from": "2020-05"}
    expected = (await client.post(SIM, json={"draft": DRAFT, "filters": filters}, headers=_auth(key, "admin"))).json()
    before = await _row_counts(sessions)
    command = [
        str(Path(sys.executable).parent / "relief-calc"),
        "simulate",
        str(draft_file),
        "--region",
        NANTONG,
        "--from",
        "2020-05",
    ]
    env = {**os.environ, "RELIEF_CALC_DATABASE_URL": database}
    for extra in ([], ["--no-progress"]):
        done = await _run([*command, *extra], env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected
    assert await _row_counts(sessions) == before

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**DRAFT, "overrides": "mohrss-2099-1"}, allow_unicode=True), encoding="utf-8")
    done = await _run([*command[:2], str(bad)], env)
    assert done.returncode == 2 and "draft.overrides" in done.stderr and "mohrss-2099-1" in done.stderr
    done = await _run([*command, "--to", "2020-02"], env)
    assert done.returncode == 2 and "filters.from" in done.stderr
