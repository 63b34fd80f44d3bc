"""What the manifests must say: Kafka by Strimzi (KRaft, RF 3, min.insync.replicas 2, topics of
deploy/topics.yaml), PostgreSQL by CloudNativePG (one role and database per service), the
services' pods, default-deny NetworkPolicies, and what each overlay changes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from deploykit import (
    APP_PORT,
    BANKSIM,
    BASE,
    OVERLAYS,
    compose,
    container_env,
    example_secrets,
    find,
    kafka_cluster,
    mounted_secret,
    payer_partitions,
    pod_template,
    render,
    selects,
    services,
    the,
    topic_table,
    topics_source,
)

STRIMZI = "kafka.strimzi.io/v1beta2"


def test_strimzi_kafka_is_kraft_with_replication() -> None:
    kafka = kafka_cluster(render(BASE))
    assert kafka["apiVersion"] == STRIMZI
    assert kafka["metadata"]["annotations"] == {"strimzi.io/kraft": "enabled", "strimzi.io/node-pools": "enabled"}
    spec = kafka["spec"]
    assert "zookeeper" not in spec and str(spec["kafka"]["version"]) == "3.9.1"
    config = {k: str(v).lower() for k, v in spec["kafka"]["config"].items()}
    assert config["min.insync.replicas"] == "2"
    assert config["default.replication.factor"] == config["offsets.topic.replication.factor"] == "3"
    assert config["transaction.state.log.replication.factor"] == "3" and config["transaction.state.log.min.isr"] == "2"
    assert config["auto.create.topics.enable"] == "false" and config["unclean.leader.election.enable"] == "false"
    assert config["log.retention.ms"] == "-1"
    (plain,) = [x for x in spec["kafka"]["listeners"] if x["port"] == 9092]
    assert plain["tls"] is False and plain["type"] == "internal"
    assert plain["networkPolicyPeers"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "api", "app.kubernetes.io/part-of": "relief"}}}
    ]
    assert "topicOperator" in spec["entityOperator"] and "userOperator" in spec["entityOperator"]


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_strimzi_node_pool_and_topics(overlay: str) -> None:
    docs = render(OVERLAYS[overlay])
    cluster = kafka_cluster(docs)["metadata"]["name"]
    (pool,) = find(docs, "KafkaNodePool")
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == cluster
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    rf = topics_source()["replication_factor"]["kubernetes"]
    assert pool["spec"]["replicas"] >= rf == 3 > int(kafka_cluster(docs)["spec"]["kafka"]["config"]["min.insync.replicas"])
    assert all(v["type"] == "persistent-claim" and v["deleteClaim"] is False for v in pool["spec"]["storage"]["volumes"])
    seen = {}
    for t in find(docs, "KafkaTopic"):
        assert t["metadata"]["labels"]["strimzi.io/cluster"] == cluster
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", t["metadata"]["name"])
        assert t["spec"]["replicas"] == rf and t["spec"]["config"]["retention.ms"] == "-1"
        seen[t["spec"].get("topicName", t["metadata"]["name"])] = {
            "partitions": t["spec"]["partitions"],
            "config": t["spec"]["config"],
        }
    assert seen == topic_table()


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_cloudnativepg_gives_each_service_its_own_role_and_database(overlay: str) -> None:
    docs = render(OVERLAYS[overlay])
    (cluster,) = find(docs, "Cluster")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1" and not find(docs, "StatefulSet")
    assert cluster["spec"]["enableSuperuserAccess"] is False
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    roles = {initdb["owner"]: initdb["secret"]["name"]} | {
        r["name"]: r["passwordSecret"]["name"] for r in cluster["spec"]["managed"]["roles"]
    }
    secrets = example_secrets()
    for role, secret in roles.items():
        assert secrets[secret]["username"] == role, f"{secret} must hold role {role}'s credentials"
    databases = {d["spec"]["name"]: d for d in find(docs, "Database")}
    assert all(d["spec"]["cluster"]["name"] == cluster["metadata"]["name"] for d in databases.values())
    owners = set()
    for name in services():
        url = urlsplit(secrets[f"{name}-secrets"]["database-url"])
        assert (url.hostname, url.port) == (f"{cluster['metadata']['name']}-rw", 5432), "the operator's read-write Service"
        db = databases[url.path[1:]]
        assert db["spec"]["owner"] == url.username in roles and db["spec"]["databaseReclaimPolicy"] == "retain"
        owners.add(url.username)
    assert len(owners) == len(services()) == len(databases), "one role and one database per service"
    assert cluster["spec"]["instances"] == (1 if overlay == "dev" else 3)


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_service_pods(overlay: str) -> None:
    docs = render(OVERLAYS[overlay])
    cluster = kafka_cluster(docs)["metadata"]["name"]
    for name, app in services().items():
        d = the(docs, "Deployment", name)
        assert d["spec"]["replicas"] == (1 if overlay == "dev" else 3)
        pod = pod_template(d)["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert pod.get("automountServiceAccountToken") is False
        (init,) = pod["initContainers"]
        (main,) = pod["containers"]
        assert init["command"] == [name, "migrate"]
        assert main["command"] == [name, "serve", "--host", "0.0.0.0", "--port", str(APP_PORT)]
        for c in (init, main):
            assert c["image"] == f"relief/{name}:dev"
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]) & set(c["resources"]["limits"])
            sc = c["securityContext"]
            assert (
                sc["readOnlyRootFilesystem"] is True
                and sc["allowPrivilegeEscalation"] is False
                and sc["capabilities"]["drop"] == ["ALL"]
            )
            env = container_env(docs, c)
            assert env[app.prefix + "KAFKA_BOOTSTRAP_SERVERS"]["value"] == f"{cluster}-kafka-bootstrap:9092"
            assert env[app.prefix + "TOPIC_PARTITIONS"]["value"] == str(payer_partitions())
            assert env[app.prefix + "TOPIC_REPLICATION_FACTOR"]["value"] == "3"
            assert env[app.prefix + "DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
                "name": f"{name}-secrets",
                "key": "database-url",
            }
            assert mounted_secret(pod, c, env[app.prefix + "DATA_KEY_FILE"]["value"])["secretName"] == f"{name}-secrets"
            assert mounted_secret(pod, c, env["AUTH_JWT_PUBLIC_KEY_FILE"]["value"])["secretName"] == "relief-jwt-public-key"
        if name == "refund":
            env = container_env(docs, main)
            bank = urlsplit(env["REFUND_BANK_URL"]["value"])
            assert (bank.scheme, bank.netloc) == (
                ("http", "banksim:8900") if overlay == "dev" else ("https", "bank-gateway.invalid")
            )
            assert env["REFUND_BANK_CALLBACK_SECRET"]["valueFrom"]["secretKeyRef"] == {
                "name": "relief-bank-callback",
                "key": "secret",
            }


def test_the_bank_simulator_runs_in_dev_only() -> None:
    assert not find(render(BASE), "Deployment", "banksim") and not find(render(OVERLAYS["production"]), "Deployment", "banksim")
    docs = render(OVERLAYS["dev"])
    bank = the(docs, "Deployment", "banksim")
    (c,) = pod_template(bank)["spec"]["containers"]
    env = container_env(docs, c)
    assert env["BANKSIM_CALLBACK_URL"]["value"] == "http://refund:8000/v1/bank/status-reports"
    assert env["BANKSIM_NOTIFY_URL"]["value"] == "http://refund:8000/v1/bank/notifications"
    refund_main = pod_template(the(docs, "Deployment", "refund"))["spec"]["containers"][0]
    assert env["BANKSIM_SECRET"]["valueFrom"] == container_env(docs, refund_main)["REFUND_BANK_CALLBACK_SECRET"]["valueFrom"]
    assert c["command"] == ["banksim", "serve", "--host", "0.0.0.0", "--port", str(BANKSIM.port)]
    assert the(docs, "Service", "banksim")["spec"]["ports"][0]["port"] == BANKSIM.port


def egress_allows(docs: list[dict], pod_labels: dict[str, str], peer_labels: dict[str, str] | None, port: int) -> bool:
    """Does some NetworkPolicy let pods with pod_labels open `port` to a pod with peer_labels
    (None: an address outside the cluster)?"""
    for p in find(docs, "NetworkPolicy"):
        if "Egress" not in p["spec"]["policyTypes"] or not selects(p["spec"]["podSelector"], pod_labels):
            continue
        for rule in p["spec"].get("egress", []):
            ports = {x["port"] for x in rule.get("ports", [])}
            if ports and port not in ports:
                continue
            peers = rule.get("to")
            if not peers:
                return True
            for peer in peers:
                if peer_labels is None and "ipBlock" in peer:
                    return True
                if peer_labels is not None and "podSelector" in peer and "namespaceSelector" not in peer:
                    if selects(peer["podSelector"], peer_labels):
                        return True
    return False


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_network_policies(overlay: str) -> None:
    docs = render(OVERLAYS[overlay])
    policies = find(docs, "NetworkPolicy")
    deny = [
        p for p in policies if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress") and not p["spec"].get("egress")
    ]
    assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}, "default deny, both ways"
    kafka = {"strimzi.io/cluster": kafka_cluster(docs)["metadata"]["name"], "strimzi.io/kind": "Kafka"}
    postgres = {"cnpg.io/cluster": find(docs, "Cluster")[0]["metadata"]["name"]}
    for name in services():
        labels = pod_template(the(docs, "Deployment", name))["metadata"]["labels"]
        assert egress_allows(docs, labels, kafka, 9092), f"{name} -> Kafka"
        assert egress_allows(docs, labels, postgres, 5432), f"{name} -> PostgreSQL"
        # only refund (its bank) and subscriptions (the agencies' webhooks) reach outside
        assert not egress_allows(docs, labels, None, 443) or name in ("refund", "subscriptions"), f"{name} must not reach outside"
    refund = pod_template(the(docs, "Deployment", "refund"))["metadata"]["labels"]
    if overlay == "dev":
        bank = pod_template(the(docs, "Deployment", "banksim"))["metadata"]["labels"]
        assert egress_allows(docs, refund, bank, BANKSIM.port) and egress_allows(docs, bank, refund, APP_PORT)
        assert not egress_allows(docs, bank, kafka, 9092) and not egress_allows(docs, bank, None, 443)
    else:
        assert egress_allows(docs, refund, None, 443), "refund -> the bank's gateway"


def test_both_deployments_run_the_same_services() -> None:
    compose_services = set(compose()["services"]) - {"kafka", "kafka-topics", "postgres", BANKSIM.name}
    for overlay, directory in OVERLAYS.items():
        k8s = {d["metadata"]["name"] for d in find(render(directory), "Deployment")} - {BANKSIM.name}
        assert compose_services == k8s == set(services()), overlay
