"""The refund service's real app (PostgreSQL, Kafka) wired to a real bank simulator process, and the
steps that give a payer a credit the way production does: a liability event on relief.events, a
signed camt.054 payment, a lower reassessment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from devstack.ports import free_port
from eventkit.testing.proofs import produce
from eventkit.testing.server import ServiceProcess
from eventkit.testing.waiting import eventually_async as eventually
from eventkit.web.signature import sign
from eventkit.web.tokens import issue_token
from iso20022 import DebitCreditNotification, Entry, Party, PaymentRemittance
from relief_calc.testing import liability, liability_envelope

SECRET = "bank-shared-secret"
CN = timezone(timedelta(hours=8))


def banksim(tmp_path: Path, **settings: str) -> ServiceProcess:
    """The simulator as a process on a free port, its ledger in a file (kept across restarts)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "BANKSIM_LEDGER": str(tmp_path / "bank.sqlite"),
        "BANKSIM_SECRET": SECRET,
        "BANKSIM_SETTLE_DELAY_MS": "100",
        "BANKSIM_SEED": "7",
        **{f"BANKSIM_{k.upper()}": v for k, v in settings.items()},
    }
    proc = ServiceProcess("banksim", env, free_port(), tmp_path / "banksim.log")
    proc.start(ready_timeout_s=60)
    return proc


def bank_summary(bank: ServiceProcess) -> dict[str, Any]:
    return dict(httpx.get(bank.url + "/ledger/summary", timeout=10).json())


def bearer(private: str, sub: str, *roles: str, payer: str | None = None) -> dict[str, str]:
    return {"Authorization": "Bearer " + issue_token(private, sub, list(roles), payer=payer)}


@dataclass
class Payers:
    client: httpx.AsyncClient
    private: str
    bootstrap: str
    officer: dict[str, str]

    async def liability(self, code: str, period: str, full_fen: int, payable_fen: int, version: int) -> None:
        """relief-calc's event: assessed at the full rate (version 1), or reassessed from it down to
        `payable_fen` (later versions)."""
        full = liability(code, period, full_fen, full_fen)
        now = full if version == 1 else liability(code, period, full_fen, payable_fen)
        await produce(self.bootstrap, "relief.events", [liability_envelope(now, version, None if version == 1 else full)])

    async def ledger(self, code: str) -> dict[str, Any]:
        r = await self.client.get(f"/v1/payers/{code}/ledger", headers=self.officer)
        return dict(r.json()) if r.status_code == 200 else {}

    async def pay(self, code: str, period: str, fen: int, reference: str, account: str) -> None:
        remit = PaymentRemittance(credit_code=code, fee_period=period, insurance="pension").text()
        entry = Entry(
            bank_reference=reference, amount_fen=fen, credit_debit="CRDT", booking_date=date(2020, 3, 20),
            value_date=date(2020, 3, 20), end_to_end_id="NOTPROVIDED", debtor=Party(name="南通某某机械有限公司", account=account),
            remittance=remit,
        )  # fmt: skip
        body = DebitCreditNotification(
            message_id=f"NTF-{reference}", created_at=datetime(2020, 3, 20, 10, tzinfo=CN), notification_id="N1",
            account="3206000000000001", entries=(entry,),
        ).to_xml()  # fmt: skip
        headers = {"Content-Type": "application/xml", "X-Bank-Signature": sign(SECRET.encode(), body)}
        r = await self.client.post("/v1/bank/notifications", content=body, headers=headers)
        assert r.status_code == 200 and r.json()["entries"][0]["outcome"] == "recorded", r.text

    async def with_credit(self, code: str, account: str, *, paid: int = 400_000, after: int = 200_000) -> str:
        """February 2020 assessed at `paid`, paid from `account`, then reassessed to `after`: the
        excess is a credit refunded ex officio to that account. Returns the refund's id."""
        await self.liability(code, "2020-02", paid, paid, 1)
        await eventually(lambda: self._due_is(code, paid), f"the dues of {code}")
        await self.pay(code, "2020-02", paid, f"BK{code[-8:]}", account)
        await self.liability(code, "2020-02", paid, after, 2)

        async def requested() -> str | None:
            r = await self.client.get(f"/v1/payers/{code}/refunds", headers=self.officer)
            items = r.json()["items"] if r.status_code == 200 else []
            return str(items[0]["refund_id"]) if items else None

        return str(await eventually(requested, f"the ex-officio refund of {code}"))

    async def _due_is(self, code: str, fen: int) -> bool:
        ledger = await self.ledger(code)
        return bool(ledger) and ledger["totals"]["due_fen"] == fen
