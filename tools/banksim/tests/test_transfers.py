"""Credit transfers against the simulator as a real process: paid once, duplicates refused and
counted (also under 50 concurrent posts), rejections by account pattern, signed callbacks that
are retried, the status query after a lost answer, and a ledger that survives SIGKILL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from banksim.callbacks import verify
from iso20022 import PaymentStatusReport, pain002

SECRET = "test-secret-Ω"
XML = {"content-type": "application/xml"}


def post(bank: Any, msg: Any, *, json: bool = False, timeout: float = 10) -> httpx.Response:
    body, ctype = (msg.to_json(), "application/json") if json else (msg.to_xml(), "application/xml")
    return httpx.post(bank.url + "/pain001", content=body, headers={"content-type": ctype}, timeout=timeout)


def summary(bank: Any) -> dict[str, Any]:
    return httpx.get(bank.url + "/ledger/summary").json()  # type: ignore[no-any-return]


def wait_summary(bank: Any, key: str, value: int, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (s := summary(bank))[key] != value and time.monotonic() < deadline:
        time.sleep(0.05)
    assert s[key] == value, s
    return s


def status(bank: Any, e2e: str) -> PaymentStatusReport:
    r = httpx.get(f"{bank.url}/status/{e2e}")
    assert r.status_code == 200, r.text
    return pain002.parse(r.content)


def test_pays_once_settles_and_calls_back_signed(start_bank: Callable[..., Any], receiver: Any, pain001_of: Any) -> None:
    receiver.fail_first = 2  # the platform is down twice: the callback is retried
    bank = start_bank(callback_url=receiver.url)
    r = post(bank, pain001_of("M-1", ("R-1", 123456, "6222000011112222")))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    report = pain002.parse(r.content)
    assert (report.group_status, report.transactions[0].status) == ("ACCP", "ACCP")

    (cb,) = receiver.wait_for(1)
    assert cb.path == "/bank/callback" and cb.headers["content-type"] == "application/xml"
    assert verify(SECRET, cb.body, cb.headers["x-bank-signature"])
    assert not verify("other secret", cb.body, cb.headers["x-bank-signature"])
    settled = pain002.parse(cb.body)
    assert settled.original_message_id == "M-1"
    tx = settled.status_of("R-1")
    assert tx is not None and tx.status == "ACSC" and tx.original_amount_fen == 123456
    assert receiver.attempts == 3

    again = pain002.parse(post(bank, pain001_of("M-2", ("R-1", 123456, "6222000011112222"))).content)
    assert (again.transactions[0].status, again.transactions[0].reason_code) == ("RJCT", "AM05")
    s = wait_summary(bank, "callbacks_delivered", 1)
    assert (s["paid_count"], s["paid_total_fen"], s["refused_duplicates"], s["end_to_end_ids_paid_twice"]) == (1, 123456, 1, 0)
    assert s["callback_attempts"] == 3
    assert status(bank, "R-1").transactions[0].status == "ACSC"
    assert httpx.get(f"{bank.url}/status/nobody").status_code == 404


async def test_fifty_concurrent_posts_of_one_end_to_end_id_pay_once(start_bank: Callable[..., Any], pain001_of: Any) -> None:
    bank = start_bank()
    async with httpx.AsyncClient(base_url=bank.url, timeout=30) as client:

        async def one(i: int) -> PaymentStatusReport:
            msg = pain001_of(f"C-{i}", ("SAME-E2E", 5000, "6222000011112222"))
            as_json = i % 2 == 0  # XML and JSON bodies race for the same id
            body, ctype = (msg.to_json(), "application/json") if as_json else (msg.to_xml(), "application/xml")
            r = await client.post("/pain001", content=body, headers={"content-type": ctype})
            assert r.status_code == 200, r.text
            return PaymentStatusReport.from_json(r.content) if as_json else pain002.parse(r.content)

        reports = await asyncio.gather(*(one(i) for i in range(50)))
    outcomes = sorted((r.transactions[0].status, r.transactions[0].reason_code or "") for r in reports)
    assert outcomes == [("ACCP", "")] + [("RJCT", "AM05")] * 49
    s = await asyncio.to_thread(wait_summary, bank, "paid_count", 1)
    assert (s["paid_total_fen"], s["refused_duplicates"], s["end_to_end_ids_paid_twice"]) == (5000, 49, 0)


def test_rejection_by_account_pattern(start_bank: Callable[..., Any], receiver: Any, pain001_of: Any) -> None:
    bank = start_bank(
        callback_url=receiver.url, reject_accounts='{"0000$": "AC04", "0001$": "AC01"}', reject_on_settle='{"0002$": "AM04"}'
    )
    msg = pain001_of(
        "M-P",
        ("OK-1", 100, "6222000011112222"),
        ("CLOSED", 200, "6222000011110000"),
        ("WRONG", 300, "6222000011110001"),
        ("POOR", 400, "6222000011110002"),
    )
    report = pain002.parse(post(bank, msg).content)
    got = {t.original_end_to_end_id: (t.status, t.reason_code) for t in report.transactions}
    assert got == {"OK-1": ("ACCP", None), "CLOSED": ("RJCT", "AC04"), "WRONG": ("RJCT", "AC01"), "POOR": ("ACCP", None)}
    assert report.group_status == "PART"
    callbacks = receiver.wait_for(2)
    later = {t.original_end_to_end_id: (t.status, t.reason_code) for cb in callbacks for t in pain002.parse(cb.body).transactions}
    assert later == {"OK-1": ("ACSC", None), "POOR": ("RJCT", "AM04")}
    assert status(bank, "CLOSED").transactions[0].reason_code == "AC04"
    # a rejected id is free again: the officer retries with a corrected account under the same refund id
    retry = pain002.parse(post(bank, pain001_of("M-P2", ("CLOSED", 200, "6222000033334444"))).content)
    assert retry.transactions[0].status == "ACCP"
    s = wait_summary(bank, "paid_count", 2)
    assert (s["paid_total_fen"], s["refused_duplicates"]) == (300, 0)


def test_malformed_instruction_is_a_400_naming_the_element(start_bank: Callable[..., Any], pain001_of: Any) -> None:
    bank = start_bank()
    bad = pain001_of("M-B", ("B-1", 100, "6222000011112222")).to_xml().replace(b"1.00</InstdAmt>", b"1.001</InstdAmt>")
    r = httpx.post(bank.url + "/pain001", content=bad, headers=XML)
    assert r.status_code == 400
    assert r.json()["path"].endswith("/CdtTrfTxInf[1]/Amt/InstdAmt")
    assert summary(bank)["accepted_pending"] == 0


def test_dropped_answer_then_status_shows_it_was_paid(start_bank: Callable[..., Any], pain001_of: Any) -> None:
    bank = start_bank(p_drop="1.0")
    with pytest.raises(httpx.RemoteProtocolError):
        post(bank, pain001_of("M-D", ("D-1", 777, "6222000011112222")))
    wait_summary(bank, "paid_count", 1)
    assert status(bank, "D-1").transactions[0].status == "ACSC"
    assert summary(bank)["injected"] == {"drop": 1}


def test_timeout_then_status(start_bank: Callable[..., Any], pain001_of: Any) -> None:
    bank = start_bank(p_timeout="1.0", timeout_s="5")
    with pytest.raises(httpx.ReadTimeout):
        post(bank, pain001_of("M-T", ("T-1", 888, "6222000011112222")), timeout=0.5)
    wait_summary(bank, "paid_count", 1)
    assert status(bank, "T-1").transactions[0].status == "ACSC"


def test_ledger_file_survives_sigkill(start_bank: Callable[..., Any], receiver: Any, pain001_of: Any, tmp_path: Any) -> None:
    settings = {"ledger": str(tmp_path / "bank.db"), "settle_delay_ms": "1500", "callback_url": receiver.url}
    bank = start_bank(**settings)
    assert pain002.parse(post(bank, pain001_of("M-K", ("K-1", 999, "6222000011112222"))).content).transactions[0].status == "ACCP"
    bank.kill()  # before the settlement
    bank = start_bank(port=bank.port, **settings)
    (cb,) = receiver.wait_for(1)
    assert pain002.parse(cb.body).transactions[0].status == "ACSC"
    dup = pain002.parse(post(bank, pain001_of("M-K2", ("K-1", 999, "6222000011112222"))).content)
    assert dup.transactions[0].reason_code == "AM05"
    s = summary(bank)
    assert (s["paid_count"], s["refused_duplicates"]) == (1, 1)
