"""The whole platform as real processes for the end-to-end stories: declaration, relief-calc,
classification, refund and reporting, each on a PostgreSQL database of its own, on the shared Kafka broker, and
the bank simulator wired both ways with the refund service. Every consumer group starts at the end
of the shared topics (they hold earlier tests' events), but reporting's `policies` projection reads
policy.events from its start (the policies in force were published before, by whichever platform
first started)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classification.adapters.tables import kernel as classification_kernel
from classification.service import DEFINITION as CLASSIFICATION
from declaration.adapters.tables import kernel as decl_kernel
from declaration.service import DEFINITION as DECL
from devstack.ports import free_port
from eventkit.crypto import Keyring
from eventkit.kafka import TopicSpec
from eventkit.testing.databases import create_database, pg_database_url
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.server import ServiceProcess
from eventkit.testing.waiting import eventually
from eventkit.web.tokens import generate_keypair, issue_token
from refund.adapters.tables import kernel as refund_kernel
from refund.service import DEFINITION as REFUND
from relief_calc.adapters.tables import kernel as rc_kernel
from relief_calc.domain.policies import default_policy_dir
from relief_calc.service import DEFINITION as RC
from reporting.adapters.tables import kernel as reporting_kernel
from reporting.service import DEFINITION as REPORTING

SECRET = "e2e-bank-secret"


def call(method: str, url: str, token: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    hdrs = {"Authorization": f"Bearer {token}", **({"Content-Type": "application/json"} if data else {}), **headers}
    request = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _topics(*names: str) -> list[TopicSpec]:
    return [TopicSpec(name, 1 if name == "policy.events" else 12) for name in names]


def new_database(server_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(create_database(server_url, name))
    return pg_database_url(server_url, name)


@dataclass
class Platform:
    decl: ServiceProcess
    rc: ServiceProcess
    cls: ServiceProcess
    refund: ServiceProcess
    bank: ServiceProcess
    reporting: ServiceProcess
    private: str

    def token(self, sub: str, *roles: str, **claims: Any) -> str:
        return issue_token(self.private, sub, list(roles), ttl_s=3600, **claims)

    def register(self, code: str, region: str = "320600", unit_type: str = "enterprise", **fields: Any) -> None:
        body = {
            "credit_code": code, "name": fields.pop("name", "南通某某机械有限公司"), "unit_type": unit_type, "region": region,
            "industry": {"section": "C", "division": "34"}, "work_injury": {"risk_class": 2},
            "enrollments": [{"insurance": i, "since": "2015-01-01"} for i in fields.pop("insurances", ("pension",))],
            **fields,
        }  # fmt: skip
        status, out = call("POST", self.decl.url + "/v1/payers", self.token("tax-bureau", "admin"), body)
        assert status == 201, out

    def declare(self, code: str, period: str, *insurances: str, headcount: int = 10, base_fen: int = 5_000_000) -> None:
        lines = [{"insurance": i, "headcount": headcount, "base_fen": base_fen} for i in insurances or ("pension",)]
        body = {"fee_period": period, "lines": lines}
        status, out = call("POST", f"{self.decl.url}/v1/payers/{code}/declarations", self.token("p", "payer", payer=code), body)
        assert status == 201, out

    def liability(self, code: str, period: str, *, version: int = 1) -> dict[str, Any]:
        """The payer-period's liability once assessed at `version` or later (waits for it)."""

        def probe() -> Any:
            status, out = call(
                "GET", f"{self.rc.url}/v1/payers/{code}/liabilities/{period}", self.token("p", "payer", payer=code)
            )
            return out if status == 200 and out["version"] >= version else None

        return eventually(probe, f"{code} {period} assessed (version {version})")  # type: ignore[no-any-return]

    def ledger(self, code: str) -> dict[str, Any]:
        status, out = call("GET", f"{self.refund.url}/v1/payers/{code}/ledger", self.token("p", "payer", payer=code))
        return out if status == 200 else {}

    def pay(
        self, code: str, period: str, insurance: str, fen: int, account: str = "6222020200007654321", on: str | None = None
    ) -> None:
        """The payer pays at its bank (booked today, or on the day `on`); the bank notifies the
        refund service (signed camt.054)."""
        payment = {
            "amount_fen": fen, "payer_name": "南通某某机械有限公司", "payer_account": account, "credit_code": code,
            "fee_period": period, "insurance": insurance, **({"booking_date": on} if on else {}),
        }  # fmt: skip
        status, out = call("POST", self.bank.url + "/simulate/payment", self.token("bank", "admin"), payment)
        assert status == 200, out

    def publish(self, policy_file: str, key: str) -> dict[str, Any]:
        import yaml

        document = yaml.safe_load((default_policy_dir() / policy_file).read_text(encoding="utf-8"))
        document = json.loads(json.dumps(document, default=str))  # dates as ISO strings, as a client sends them
        token = self.token("policy-admin", "policy_admin")
        status, out = call("POST", self.rc.url + "/v1/policies", token, document, **{"Idempotency-Key": key})
        assert status in (200, 201), out
        return out  # type: ignore[no-any-return]

    def import_sizes(self, *rows: tuple[str, str], year: int = 2019) -> None:
        """The province's shared classification data for statistical `year` (governing the next
        year's fee periods), uploaded and applied by a province officer: (credit code, size) rows."""
        csv = "credit_code,name,industry,size,statistical_year,source_version\n" + "".join(
            f"{code},南通某某企业,C34,{size},{year},苏统{year + 1}-01\n" for code, size in rows
        )
        token = self.token("prov-1", "province_officer")
        request = urllib.request.Request(
            self.cls.url + f"/v1/size-imports?file_name=sizes-{uuid.uuid4().hex[:6]}.csv", data=csv.encode(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as r:
            assert r.status == 201, r.read()

    def refunds(self, code: str) -> list[dict[str, Any]]:
        status, out = call("GET", f"{self.refund.url}/v1/payers/{code}/refunds", self.token("p", "payer", payer=code))
        return list(out["items"]) if status == 200 else []


@contextmanager
def running_platform(
    pg_server_url: str, kafka_bootstrap: str, tmp: Path, *, held_back: tuple[str, ...] = ()
) -> Iterator[Platform]:
    """Start everything; `held_back` policy files are not published at start-up (a story publishes them)."""
    dbs = {name: new_database(pg_server_url, f"e2e_{name}") for name in ("decl", "rc", "cls", "refund", "reporting")}
    private, public = generate_keypair()
    (tmp / "jwt.pem").write_text(public)
    Keyring.write_new(tmp / "data.key")
    policies = tmp / "policies"
    shutil.copytree(default_policy_dir(), policies)
    for name in held_back:
        (policies / name).unlink()
    refund_port = free_port()
    refund_url = f"http://127.0.0.1:{refund_port}"
    common = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "AUTH_JWT_PUBLIC_KEY_FILE": str(tmp / "jwt.pem")}
    key = str(tmp / "data.key")
    bank = ServiceProcess(
        "banksim",
        {
            "PATH": "/usr/bin:/bin", "BANKSIM_LEDGER": str(tmp / "bank.sqlite"), "BANKSIM_SECRET": SECRET,
            "BANKSIM_SETTLE_DELAY_MS": "200", "BANKSIM_CALLBACK_URL": f"{refund_url}/v1/bank/status-reports",
            "BANKSIM_NOTIFY_URL": f"{refund_url}/v1/bank/notifications",
        },
        free_port(), tmp / "banksim.log",
    )  # fmt: skip
    decl = ServiceProcess(
        "declaration", {**common, "DECLARATION_DATABASE_URL": dbs["decl"], "DECLARATION_DATA_KEY_FILE": key}, free_port(),
        tmp / "declaration.log",
    )  # fmt: skip
    rc = ServiceProcess(
        "relief-calc", {**common, "RELIEF_CALC_DATABASE_URL": dbs["rc"], "RELIEF_CALC_POLICY_DIR": str(policies)}, free_port(),
        tmp / "relief-calc.log",
    )  # fmt: skip
    cls = ServiceProcess(
        "classification", {**common, "CLASSIFICATION_DATABASE_URL": dbs["cls"], "CLASSIFICATION_DATA_KEY_FILE": key},
        free_port(), tmp / "classification.log",
    )  # fmt: skip
    refund = ServiceProcess(
        "refund",
        {
            **common, "REFUND_DATABASE_URL": dbs["refund"], "REFUND_DATA_KEY_FILE": key, "REFUND_BANK_URL": bank.url,
            "REFUND_BANK_CALLBACK_SECRET": SECRET, "REFUND_BANK_STATUS_AFTER_S": "1",
        },
        refund_port, tmp / "refund.log",
    )  # fmt: skip
    # the ops dashboard's pipeline panel asks these services (subscriptions does not run here: it
    # is listed at a port nobody listens on, and shown as down)
    watched = {"declaration": decl, "relief-calc": rc, "classification": cls, "refund": refund}
    services = ",".join([*(f"{name}={p.url}" for name, p in watched.items()), f"subscriptions=http://127.0.0.1:{free_port()}"])
    reporting = ServiceProcess(
        "reporting", {**common, "REPORTING_DATABASE_URL": dbs["reporting"], "REPORTING_SERVICES": services}, free_port(),
        tmp / "reporting.log",
    )  # fmt: skip
    for service in (decl, rc, cls, refund, reporting):
        service.run("migrate")
    groups = (
        (dbs["rc"], rc_kernel, RC.subscriptions(), ("declaration.events", "classification.events", "relief.events", "refund.events", "policy.events")),
        (dbs["decl"], decl_kernel, DECL.subscriptions(), ("declaration.events", "relief.events")),
        (dbs["cls"], classification_kernel, CLASSIFICATION.subscriptions(), ("classification.events", "declaration.events")),
        (dbs["refund"], refund_kernel, REFUND.subscriptions(), ("relief.events", "refund.events")),
        (
            dbs["reporting"], reporting_kernel, [s for s in REPORTING.subscriptions() if s.group != "projection.policies"],
            ("declaration.events", "relief.events", "refund.events", "classification.events", "reporting.events"),
        ),
    )  # fmt: skip
    for db, kernel, subscriptions, topics in groups:
        asyncio.run(start_groups_at_end(db, kafka_bootstrap, kernel, subscriptions, _topics(*topics)))
    started: list[ServiceProcess] = []
    try:
        for service in (bank, decl, rc, cls, refund, reporting):
            service.start()
            started.append(service)
        yield Platform(decl, rc, cls, refund, bank, reporting, private)
    finally:
        for service in reversed(started):
            service.stop()
