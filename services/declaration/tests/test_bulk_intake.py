"""Bulk intake: 10,000 rows with 1 % bad ones record exactly the good ones and report each bad
one; the upload is idempotent by its key; rows for other payers are refused."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from declaration.adapters.tables import kernel
from refdata.periods import FeePeriod

PERIODS = [str(p) for p in FeePeriod.range(FeePeriod.parse("2019-01"), FeePeriod.parse("2021-12"))]  # 36 months
HEADER = "credit_code,fee_period,pension_headcount,pension_base_fen,medical_headcount,medical_base_fen,correction_reason\n"


def good_row(code: str, period: str) -> str:
    return f"{code},{period},10,5000000,10,5000000,\n"


async def wait_done(svc: Any, upload_id: str, headers: dict[str, str], timeout_s: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        r = await svc.client.get(f"/v1/declaration-uploads/{upload_id}", headers=headers)
        if r.status_code == 200 and r.json()["state"] == "completed":
            return r.json()  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"upload not completed: {r.text}"
        await __import__("asyncio").sleep(0.5)


@pytest.mark.slow
async def test_ten_thousand_rows_with_one_percent_bad_record_exactly_the_good_ones(
    service: Any, payer_body: Any, code: Any
) -> None:
    admin = service.token("admin", sub="province-system")
    codes = [code(100 + i) for i in range(278)]  # 278 payers × 36 months = 10,008 slots
    for c in codes:
        r = await service.client.post("/v1/payers", json=payer_body(c), headers=admin)
        assert r.status_code == 201, r.text
    slots = [(c, p) for c in codes for p in PERIODS][:10_000]
    bad: dict[int, str] = {}
    lines = []
    for n, (c, p) in enumerate(slots, start=1):
        kind = n % 400  # four kinds of bad row, 25 of each: 1 %
        if kind == 17:
            lines.append(f"{c},{p},10,100,10,5000000,\n")  # base far below the band
            bad[n] = "base.band"
        elif kind == 117:
            lines.append(f"{c},{p},ten,5000000,10,5000000,\n")  # not a number
            bad[n] = "cell.integer"
        elif kind == 217:
            unknown = code(99, region="320600")  # a valid code nobody registered
            lines.append(f"{unknown},{p},10,5000000,10,5000000,\n")
            bad[n] = "payer.not_found"
        elif kind == 317:
            lines.append(f"{c},2099-01,10,5000000,10,5000000,\n")  # a future period
            bad[n] = "fee_period.future"
        else:
            lines.append(good_row(c, p))
    assert len(lines) == 10_000 and len(bad) == 100
    body = (HEADER + "".join(lines)).encode()
    headers = {**admin, "Content-Type": "text/csv", "Idempotency-Key": "province-upload-2021-12-batch-1"}

    r = await service.client.post("/v1/declaration-uploads", content=body, headers=headers)
    assert r.status_code == 202, r.text
    upload_id = r.json()["upload_id"]
    assert r.json()["rows"] == 10_000
    again = await service.client.post("/v1/declaration-uploads", content=body, headers=headers)
    assert again.status_code == 202 and again.json()["upload_id"] == upload_id  # the same upload, not a second one

    status = await wait_done(service, upload_id, admin)
    assert (status["rows"], status["accepted"], status["rejected"]) == (10_000, 9_900, 100)

    async with service.app.state.sessions() as s:
        submitted = await s.scalar(
            sa.select(sa.func.count())
            .select_from(kernel.events)
            .where(kernel.events.c.event_type == "declaration.DeclarationSubmitted")
        )
        mine = [
            row.data["declaration"]["upload_row"]
            for row in (
                await s.execute(
                    sa.select(kernel.events.c.data).where(kernel.events.c.event_type == "declaration.DeclarationSubmitted")
                )
            ).all()
            if row.data["declaration"]["upload_id"] == upload_id
        ]
    assert submitted == len(mine) == 9_900  # exactly the good rows, each once
    assert set(mine) == set(range(1, 10_001)) - set(bad)

    reported: dict[int, set[str]] = {}
    after = 0
    while True:
        page = (
            await service.client.get(
                f"/v1/declaration-uploads/{upload_id}/rows",
                params={"status": "rejected", "after_row": after, "limit": 40},
                headers=admin,
            )
        ).json()
        for item in page["items"]:
            reported[item["row"]] = {e["code"] for e in item["errors"]}
            assert all(e["reason"] and e["reason_zh"] for e in item["errors"])
        if page["next_after_row"] is None:
            break
        after = page["next_after_row"]
    assert set(reported) == set(bad)
    assert all(bad[n] in reported[n] for n in bad), {n: (bad[n], reported[n]) for n in bad if bad[n] not in reported[n]}


async def test_rows_for_payers_the_uploader_may_not_declare_for_are_refused(service: Any, payer_body: Any, code: Any) -> None:
    mine, theirs = code(90), code(91)
    for c in (mine, theirs):
        await service.client.post("/v1/payers", json=payer_body(c), headers=service.token("admin"))
    me = service.token("payer", sub="payer-90", payer=mine)
    line = '{{"credit_code": "{}", "fee_period": "2020-03", "lines": [{{"insurance": "pension", "headcount": 1, "base_fen": 500000}}]}}\n'
    jsonl = line.format(mine) + line.format(theirs) + "{not json}\n"
    r = await service.client.post(
        "/v1/declaration-uploads",
        content=jsonl.encode(),
        headers={**me, "Content-Type": "application/x-ndjson", "Idempotency-Key": "payer-90-u1"},
    )
    assert r.status_code == 202, r.text
    status = await wait_done(service, r.json()["upload_id"], me, timeout_s=60)
    assert (status["accepted"], status["rejected"]) == (1, 2)
    rows = (await service.client.get(f"/v1/declaration-uploads/{r.json()['upload_id']}/rows", headers=me)).json()["items"]
    assert [(i["row"], i["status"]) for i in rows] == [(1, "accepted"), (2, "rejected"), (3, "rejected")]
    assert rows[1]["errors"][0]["code"] == "row.forbidden"
    other = service.token("payer", sub="payer-91", payer=theirs)
    assert (await service.client.get(f"/v1/declaration-uploads/{r.json()['upload_id']}", headers=other)).status_code == 403
    no_key = await service.client.post(
        "/v1/declaration-uploads", content=jsonl.encode(), headers={**me, "Content-Type": "application/x-ndjson"}
    )
    assert no_key.status_code == 428
