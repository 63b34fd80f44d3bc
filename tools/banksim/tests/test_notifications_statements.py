"""Payers' payments and reversals notified as signed camt.054 callbacks, daily camt.053
statements with exactly the day's entries, and failure injection that a seed makes reproducible."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx

from banksim.callbacks import verify
from iso20022 import DebitCreditNotification, PaymentRemittance, Statement, camt053, camt054, pain002

SECRET = "test-secret-Ω"
CN = timezone(timedelta(hours=8))
PAYMENT = {
    "payer_name": "南通海门建材有限公司",
    "payer_account": "6222000011112222",
    "credit_code": "91320684MA1MXXXX07",
    "fee_period": "2020-02",
    "insurance": "pension",
}


def test_payment_and_reversal_are_notified_signed(start_bank: Callable[..., Any], receiver: Any) -> None:
    receiver.fail_first = 1
    bank = start_bank(notify_url=receiver.url)
    r = httpx.post(bank.url + "/simulate/payment", json={**PAYMENT, "amount_fen": 98765432})
    assert r.status_code == 200, r.text
    ref = r.json()["bank_reference"]
    (cb,) = receiver.wait_for(1)
    assert verify(SECRET, cb.body, cb.headers["x-bank-signature"])
    note = camt054.parse(cb.body)
    (entry,) = note.entries
    assert (entry.bank_reference, entry.amount_fen, entry.credit_debit, entry.reversal) == (ref, 98765432, "CRDT", False)
    assert entry.debtor is not None and entry.debtor.account == "6222000011112222"
    assert PaymentRemittance.parse(entry.remittance) == PaymentRemittance(
        credit_code="91320684MA1MXXXX07", fee_period="2020-02", insurance="pension"
    )

    r = httpx.post(bank.url + "/simulate/reversal", json={"bank_reference": ref})
    assert r.status_code == 200, r.text
    (_, cb2) = receiver.wait_for(2)
    rev = camt054.parse(cb2.body).entries[0]
    assert (rev.credit_debit, rev.reversal, rev.original_bank_reference, rev.amount_fen) == ("DBIT", True, ref, 98765432)
    assert httpx.post(bank.url + "/simulate/reversal", json={"bank_reference": ref}).status_code == 409
    assert httpx.post(bank.url + "/simulate/reversal", json={"bank_reference": "nope"}).status_code == 404
    bad = {**PAYMENT, "amount_fen": 1, "fee_period": "2020-13"}
    assert httpx.post(bank.url + "/simulate/payment", json=bad).status_code == 422
    s = httpx.get(bank.url + "/ledger/summary").json()
    assert (s["payments_notified"], s["reversals_notified"]) == (1, 1)


def test_json_callbacks(start_bank: Callable[..., Any], receiver: Any) -> None:
    bank = start_bank(callback_url=receiver.url, callback_format="json")
    httpx.post(bank.url + "/simulate/payment", json={**PAYMENT, "amount_fen": 100})
    (cb,) = receiver.wait_for(1)
    assert cb.headers["content-type"] == "application/json"
    assert verify(SECRET, cb.body, cb.headers["x-bank-signature"])
    assert DebitCreditNotification.from_json(cb.body).entries[0].amount_fen == 100


def test_statement_lists_exactly_the_days_entries(start_bank: Callable[..., Any], pain001_of: Any) -> None:
    bank = start_bank(opening_balance_fen="1000000")
    d1, d2, d3 = date(2031, 3, 9), date(2031, 3, 10), date(2031, 3, 11)

    def pay(day: date, fen: int) -> str:
        r = httpx.post(bank.url + "/simulate/payment", json={**PAYMENT, "amount_fen": fen, "booking_date": day.isoformat()})
        assert r.status_code == 200, r.text
        return str(r.json()["bank_reference"])

    p1 = pay(d1, 10_000)
    p2 = pay(d2, 20_000)
    p3 = pay(d2, 30_000)
    rev = httpx.post(bank.url + "/simulate/reversal", json={"bank_reference": p3, "booking_date": d2.isoformat()}).json()[
        "bank_reference"
    ]
    # a refund to be executed on d3 is booked on d3
    msg = pain001_of("M-S", ("REFUND-S", 4_321, "6222000055556666"), execution=d3)
    assert pain002.parse(httpx.post(bank.url + "/pain001", content=msg.to_xml()).content).transactions[0].status == "ACCP"
    deadline = time.monotonic() + 10
    while httpx.get(bank.url + "/ledger/summary").json()["paid_count"] != 1 and time.monotonic() < deadline:
        time.sleep(0.05)

    def stmt(day: date) -> Statement:
        r = httpx.get(f"{bank.url}/statements/{day.isoformat()}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
        return camt053.parse(r.content)

    s1, s2, s3 = stmt(d1), stmt(d2), stmt(d3)
    assert [e.bank_reference for e in s1.entries] == [p1]
    assert [(e.bank_reference, e.credit_debit, e.reversal) for e in s2.entries] == [
        (p2, "CRDT", False),
        (p3, "CRDT", False),
        (rev, "DBIT", True),
    ]
    assert [(e.end_to_end_id, e.amount_fen, e.credit_debit) for e in s3.entries] == [("REFUND-S", 4_321, "DBIT")]
    assert s1.opening_balance.signed_fen == 1_000_000
    assert s2.opening_balance.signed_fen == s1.closing_balance.signed_fen == 1_010_000
    assert s3.opening_balance.signed_fen == s2.closing_balance.signed_fen == 1_030_000
    assert s3.closing_balance.signed_fen == 1_030_000 - 4_321
    assert stmt(date(2031, 3, 12)).entries == ()
    as_json = Statement.from_json(
        httpx.get(f"{bank.url}/statements/{d2.isoformat()}", headers={"accept": "application/json"}).content
    )
    assert [e.bank_reference for e in as_json.entries] == [p2, p3, rev]


def _failures(bank: Any, pain001_of: Any, concurrent: bool) -> list[str]:
    async def one(client: httpx.AsyncClient, i: int) -> str | None:
        msg = pain001_of(f"F-{i}", (f"F-{i}", 100 + i, "6222000011112222"))
        r = await client.post("/pain001", content=msg.to_xml())
        return msg.message_id if r.status_code == 503 else None

    async def run() -> list[str]:
        async with httpx.AsyncClient(base_url=bank.url, timeout=10) as client:
            if concurrent:
                found = await asyncio.gather(*(one(client, i) for i in range(30)))
            else:
                found = [await one(client, i) for i in range(30)]
        return sorted(f for f in found if f)

    return asyncio.run(run())


def test_failure_injection_is_deterministic_under_a_seed(start_bank: Callable[..., Any], receiver: Any, pain001_of: Any) -> None:
    faults = {"p_5xx": "0.5", "p_duplicate_callback": "0.5", "seed": "7"}
    banks = [
        start_bank(**faults, callback_url=receiver.url + "/one"),
        start_bank(**faults, callback_url=receiver.url + "/two"),
        start_bank(**{**faults, "seed": "8"}, callback_url=receiver.url + "/other"),
    ]
    first = _failures(banks[0], pain001_of, concurrent=False)
    again = _failures(banks[1], pain001_of, concurrent=True)  # same seed, requests racing: same failures
    other = _failures(banks[2], pain001_of, concurrent=False)
    assert 0 < len(first) < 30
    assert first == again
    assert first != other
    for bank in banks:  # the 5xx'd instructions were not processed; the others settled and were called back
        deadline = time.monotonic() + 20
        while (s := httpx.get(bank.url + "/ledger/summary").json())["callbacks_pending"] + s[
            "accepted_pending"
        ] and time.monotonic() < deadline:
            time.sleep(0.05)
    callbacks: dict[str, dict[str, int]] = {"/bank/callback/one": {}, "/bank/callback/two": {}, "/bank/callback/other": {}}
    for cb in receiver.requests:
        e2e = pain002.parse(cb.body).transactions[0].original_end_to_end_id
        callbacks[cb.path][e2e] = callbacks[cb.path].get(e2e, 0) + 1
    one, two = callbacks["/bank/callback/one"], callbacks["/bank/callback/two"]
    assert sorted(one) == sorted(f"F-{i}" for i in range(30) if f"F-{i}" not in first)
    assert one == two, "the same seed duplicates the same callbacks"
    assert set(one.values()) == {1, 2}
    assert all(
        s["paid_count"] == 30 - len(f)
        for s, f in ((httpx.get(b.url + "/ledger/summary").json(), f) for b, f in zip(banks, (first, again, other), strict=True))
    )


def test_late_callbacks(start_bank: Callable[..., Any], receiver: Any, pain001_of: Any) -> None:
    bank = start_bank(callback_url=receiver.url, p_late_callback="1.0", late_callback_ms="1500")
    started = datetime.now(CN)
    httpx.post(bank.url + "/pain001", content=pain001_of("M-L", ("L-1", 100, "6222000011112222")).to_xml())
    time.sleep(0.8)
    assert receiver.requests == []  # settled, but the callback is held back
    receiver.wait_for(1)
    assert (datetime.now(CN) - started).total_seconds() >= 1.5
    assert httpx.get(bank.url + "/ledger/summary").json()["injected"] == {"late_callback": 1}
