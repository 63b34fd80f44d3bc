"""The Kafka ACLs of the deployment, enforced by a real broker: the KafkaUsers of
deploy/k8s/base/kafka/ (the agencies' and the services') applied as Strimzi's user operator would,
on a broker with Kafka's StandardAuthorizer and a SASL/SCRAM-SHA-512 listener like the cluster's.

- An agency reads the public topics in its own consumer groups, and nothing else: it cannot write
  them, read an internal topic, or join another agency's groups.
- The services run under their own users: a declaration made over REST is assessed by relief-calc,
  both connected with SCRAM, so their generated ACLs allow what they do; and a service cannot write
  another service's topic.

The broker's plaintext listener stands for Strimzi's own (TLS-certificate) access: it is the super
user that formats topics and ACLs, as the topic and user operators are in the cluster.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from aiokafka.protocol.admin import CreateAclsRequest_v1, DescribeAclsRequest_v1

from devstack.kafka import KafkaBroker
from devstack.ports import free_port
from eventkit.crypto import Keyring
from eventkit.kafka import TopicSpec, ensure_topics
from eventkit.testing.server import ServiceProcess
from eventkit.testing.waiting import eventually
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code

from .e2e.platform import call

ROOT = Path(__file__).resolve().parents[1]
KAFKA_DIR = ROOT / "deploy" / "k8s" / "base" / "kafka"
RESOURCE = {"topic": 2, "group": 3, "cluster": 4}
PATTERN = {"literal": 3, "prefix": 4}
OPERATION = {"Read": 3, "Write": 4, "Create": 5, "Describe": 8, "IdempotentWrite": 12}
ALLOW = 3


def kafka_users() -> dict[str, list[dict[str, Any]]]:
    """Every KafkaUser of the base kustomization: name → its ACLs."""
    users = {}
    for file in ("agency-users.yaml", "service-users.yaml"):
        for doc in yaml.safe_load_all((KAFKA_DIR / file).read_text(encoding="utf-8")):
            if doc and doc["kind"] == "KafkaUser":
                assert doc["spec"]["authentication"]["type"] == "scram-sha-512"
                users[doc["metadata"]["name"]] = doc["spec"]["authorization"]["acls"]
    return users


def creations(user: str, acls: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The CreateAcls entries of one user, as the Strimzi user operator makes them."""
    out = []
    for acl in acls:
        res = acl["resource"]
        name = "kafka-cluster" if res["type"] == "cluster" else res["name"]
        pattern = PATTERN[res.get("patternType", "literal")]
        for op in acl["operations"]:
            out.append((RESOURCE[res["type"]], name, pattern, f"User:{user}", "*", OPERATION[op], ALLOW))
    return out


@dataclass
class Secured:
    plain: str  # the super user's listener
    sasl: str
    passwords: dict[str, str]

    def options(self, user: str) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.sasl,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": user,
            "sasl_plain_password": self.passwords[user],
        }


async def _apply(plain: str, users: dict[str, list[dict[str, Any]]]) -> None:
    topics = yaml.safe_load((ROOT / "deploy" / "topics.yaml").read_text(encoding="utf-8"))["topics"]
    await ensure_topics(plain, [TopicSpec(t["name"], t["partitions"]) for t in topics])
    admin = AIOKafkaAdminClient(bootstrap_servers=plain)
    await admin.start()
    try:
        entries = [c for user, acls in users.items() for c in creations(user, acls)]
        response = await admin._send_request(CreateAclsRequest_v1(creations=entries))  # no public ACL API in aiokafka
        errors = [r for r in response.creation_responses if r[0]]
        assert not errors, errors
        # The broker's authorizer learns them from the metadata log a moment later: wait until it
        # describes every one (ANY filter), so that no test races the propagation.
        everything = DescribeAclsRequest_v1(1, None, 1, None, None, 1, 1)
        for _ in range(300):
            described = await admin._send_request(everything)
            if sum(len(r[3]) for r in described.resources) >= len(entries):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the broker never described all {len(entries)} ACLs")
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    users = kafka_users()
    passwords = {user: secrets.token_hex(12) for user in users}
    port, controller, sasl = free_port(), free_port(), free_port()
    properties = {
        "listeners": f"PLAINTEXT://127.0.0.1:{port},SASL_PLAINTEXT://127.0.0.1:{sasl},CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port},SASL_PLAINTEXT://127.0.0.1:{sasl}",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:ANONYMOUS",  # the plaintext listener: the operators' own access
        "allow.everyone.if.no.acl.found": "false",
    }
    broker = KafkaBroker(
        tmp_path_factory.mktemp("acl-kafka"), port=port, controller_port=controller, extra_properties=properties,
        scram_users=passwords,
    )  # fmt: skip
    broker.start()
    try:
        asyncio.run(_apply(broker.bootstrap, users))
        yield Secured(broker.bootstrap, f"127.0.0.1:{sasl}", passwords)
    finally:
        broker.stop()


async def _produce(options: dict[str, Any], topic: str, value: bytes, *, idempotent: bool = True) -> None:
    """One record; a forged write is tried without idempotence, so that the broker's refusal is
    about the topic (an idempotent producer without any Write is refused at the cluster first)."""
    producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=idempotent, request_timeout_ms=10000)
    try:
        await producer.start()
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def _consume(options: dict[str, Any], topic: str, group: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, **options, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        await consumer.start()
        batches = await consumer.getmany(timeout_ms=15000, max_records=10)
        await consumer.commit()
        return [r.value for rs in batches.values() for r in rs]
    finally:
        await consumer.stop()


def refused(kind: type[KafkaError], action: Callable[[], Any]) -> KafkaError:
    with pytest.raises(kind) as info:
        asyncio.run(action())
    return info.value


def test_an_agency_reads_the_public_topics_in_its_own_groups_and_nothing_else(secured: Secured) -> None:
    marker = uuid.uuid4().bytes
    asyncio.run(_produce({"bootstrap_servers": secured.plain}, "public.collection-details", marker))
    renshe = secured.options("agency-renshe")
    assert marker in asyncio.run(_consume(renshe, "public.collection-details", "agency-renshe.collection"))
    refused(TopicAuthorizationFailedError, lambda: _produce(renshe, "public.collection-details", b"x", idempotent=False))
    refused(ClusterAuthorizationFailedError, lambda: _produce(renshe, "public.collection-details", b"x"))
    refused(TopicAuthorizationFailedError, lambda: _consume(renshe, "refund.events", "agency-renshe.peek"))
    refused(GroupAuthorizationFailedError, lambda: _consume(renshe, "public.collection-details", "agency-yibao.collection"))


def test_a_service_cannot_write_another_services_topic(secured: Secured) -> None:
    declaration = secured.options("service-declaration")
    asyncio.run(_produce(declaration, "declaration.events", b"its own"))
    refused(TopicAuthorizationFailedError, lambda: _produce(declaration, "refund.events", b"forged", idempotent=False))
    refused(TopicAuthorizationFailedError, lambda: _produce(declaration, "policy.events", b"forged"))


def test_the_services_work_under_their_own_users(secured: Secured, new_pg_database: Callable[[str], str], tmp_path: Path) -> None:
    """A payer registered and declared over REST, assessed by relief-calc: both services connected
    with SCRAM as their own users, on the broker that enforces the generated ACLs."""
    private, public = generate_keypair()
    (tmp_path / "jwt.pem").write_text(public)
    Keyring.write_new(tmp_path / "data.key")

    def service(name: str, prefix: str, **env: str) -> ServiceProcess:
        user = f"service-{name}"
        return ServiceProcess(
            name,
            {
                **os.environ, "KAFKA_BOOTSTRAP_SERVERS": secured.sasl, "AUTH_JWT_PUBLIC_KEY_FILE": str(tmp_path / "jwt.pem"),
                f"{prefix}KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", f"{prefix}KAFKA_SASL_USERNAME": user,
                f"{prefix}KAFKA_SASL_PASSWORD": secured.passwords[user], **env,
            },
            free_port(), tmp_path / f"{name}.log",
        )  # fmt: skip

    decl = service(
        "declaration", "DECLARATION_", DECLARATION_DATABASE_URL=new_pg_database("acl_decl"),
        DECLARATION_DATA_KEY_FILE=str(tmp_path / "data.key"),
    )  # fmt: skip
    rc = service("relief-calc", "RELIEF_CALC_", RELIEF_CALC_DATABASE_URL=new_pg_database("acl_rc"))
    started = []
    try:
        for s in (decl, rc):
            s.run("migrate")
            s.start()
            started.append(s)
        code = make_credit_code(f"91320600MA{uuid.uuid4().int % 10**4:04d}ACL")
        admin = issue_token(private, "tax-bureau", ["admin"], ttl_s=600)
        payer = issue_token(private, "p", ["payer"], ttl_s=600, payer=code)
        body = {
            "credit_code": code, "name": "南通某某机械有限公司", "unit_type": "enterprise", "region": "320600",
            "industry": {"section": "C", "division": "34"}, "work_injury": {"risk_class": 2},
            "enrollments": [{"insurance": "pension", "since": "2015-01-01"}],
        }  # fmt: skip
        assert call("POST", decl.url + "/v1/payers", admin, body)[0] == 201
        declared = {"fee_period": "2020-03", "lines": [{"insurance": "pension", "headcount": 10, "base_fen": 5_000_000}]}
        assert call("POST", f"{decl.url}/v1/payers/{code}/declarations", payer, declared)[0] == 201

        def assessed() -> Any:
            status, out = call("GET", f"{rc.url}/v1/payers/{code}/liabilities/2020-03", payer)
            return status == 200 and out

        liability = eventually(assessed, "relief-calc assessed the declaration under SCRAM")["liability"]
        assert liability["lines"][0]["employer_original_fen"] == 800_000  # 16 % of 5,000,000 fen
        denied = [
            line for s in started for line in s.log.read_text(errors="replace").splitlines() if "AUTHORIZATION_FAILED" in line
        ]
        assert not denied, denied[:3]
    finally:
        for s in reversed(started):
            s.stop()
