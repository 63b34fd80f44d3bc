"""Cross-references in every rendered overlay: Services and PDBs select a Deployment's pods,
HPAs scale a Deployment on a metric the services export, probes hit endpoints the programs
serve, every Secret reference is a Secret of secrets.example.yaml, every variable is read."""

from __future__ import annotations

from typing import Any

import pytest
from deploykit import (
    APP_PORT,
    BANKSIM,
    OVERLAYS,
    App,
    container_env,
    example_secrets,
    find,
    http_paths,
    payer_partitions,
    pod_template,
    port_number,
    ref,
    render,
    required_env,
    selects,
    services,
    settings_env,
)

CASES = sorted(OVERLAYS)


def programs() -> dict[str, App]:
    return {**services(), BANKSIM.name: BANKSIM}


def deployment_for(docs: list[dict[str, Any]], selector: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in find(docs, "Deployment") if selects(selector, pod_template(d)["metadata"]["labels"])]


@pytest.mark.parametrize("overlay", CASES)
def test_deployments_are_known_programs_with_consistent_selectors(overlay: str) -> None:
    for d in find(render(OVERLAYS[overlay]), "Deployment"):
        assert d["metadata"]["name"] in programs(), f"{ref(d)} runs no known program"
        assert selects(d["spec"]["selector"], pod_template(d)["metadata"]["labels"]), f"{ref(d)} selects not its own pods"


@pytest.mark.parametrize("overlay", CASES)
def test_every_service_selects_a_deployments_pods_on_a_real_port(overlay: str) -> None:
    docs = render(OVERLAYS[overlay])
    for svc in find(docs, "Service"):
        targets = deployment_for(docs, {"matchLabels": svc["spec"]["selector"]})
        assert len(targets) == 1, f"{ref(svc)} selects {len(targets)} Deployments"
        (container,) = pod_template(targets[0])["spec"]["containers"]
        for port in svc["spec"]["ports"]:
            assert port_number(container, port["targetPort"]) == programs()[targets[0]["metadata"]["name"]].port


@pytest.mark.parametrize("overlay", CASES)
def test_every_pdb_selects_one_deployment_and_lets_one_pod_go(overlay: str) -> None:
    docs = render(OVERLAYS[overlay])
    covered = set()
    for pdb in find(docs, "PodDisruptionBudget"):
        targets = deployment_for(docs, pdb["spec"]["selector"])
        assert len(targets) == 1, f"{ref(pdb)} selects {len(targets)} Deployments"
        assert pdb["spec"].get("maxUnavailable") == 1, f"{ref(pdb)}: a drain can always move one pod"
        covered.add(targets[0]["metadata"]["name"])
    assert covered == set(services()), "every service has a PodDisruptionBudget"


@pytest.mark.parametrize("overlay", CASES)
def test_every_hpa_scales_a_deployment_on_consumer_lag(overlay: str) -> None:
    from eventkit.metrics import CONSUMER_LAG

    docs = render(OVERLAYS[overlay])
    scaled = set()
    for hpa in find(docs, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment")
        assert len(find(docs, "Deployment", target["name"])) == 1, f"{ref(hpa)} scales a missing Deployment"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= payer_partitions(), (
            "no more instances than partitions"
        )
        external = [m["external"] for m in hpa["spec"]["metrics"] if m["type"] == "External"]
        assert len(external) == 1, f"{ref(hpa)}: one consumer-lag metric"
        metric = external[0]["metric"]
        assert metric["name"] == CONSUMER_LAG._name, "the gauge every service exports (eventkit.metrics)"
        assert metric["selector"]["matchLabels"] == {"service": target["name"]}
        assert "service" in CONSUMER_LAG._labelnames
        assert external[0]["target"]["type"] == "AverageValue"
        scaled.add(target["name"])
    assert scaled == set(services())


@pytest.mark.parametrize("overlay", CASES)
def test_probes_hit_endpoints_the_programs_serve(overlay: str) -> None:
    for d in find(render(OVERLAYS[overlay]), "Deployment"):
        app = programs()[d["metadata"]["name"]]
        (main,) = pod_template(d)["spec"]["containers"]
        expected = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
        for probe, path in expected.items():
            get = main[probe]["httpGet"]
            assert get["path"] == path, f"{ref(d)} {probe}"
            assert path in http_paths(app), f"{app.name} serves no {path}"
            assert port_number(main, get["port"]) == app.port, f"{ref(d)} {probe}"
        annotations = pod_template(d)["metadata"].get("annotations", {})
        if app is not BANKSIM:
            assert annotations["prometheus.io/path"] == "/metrics" and "/metrics" in http_paths(app)
            assert annotations["prometheus.io/port"] == str(APP_PORT)


@pytest.mark.parametrize("overlay", CASES)
def test_secret_references_name_example_secrets(overlay: str) -> None:
    docs = render(OVERLAYS[overlay])
    # the Strimzi user operator makes a Secret named after each SCRAM KafkaUser, key "password"
    made = {
        u["metadata"]["name"]: {"password": "", "sasl.jaas.config": ""}
        for u in find(docs, "KafkaUser")
        if u["spec"]["authentication"]["type"] == "scram-sha-512"
    }
    secrets = {**example_secrets(), **made}
    assert not find(docs, "Secret"), "Secrets are referenced, never shipped"
    for d in find(docs, "Deployment"):
        pod = pod_template(d)["spec"]
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            for var in container.get("env", []):
                key_ref = var.get("valueFrom", {}).get("secretKeyRef")
                if key_ref:
                    assert key_ref["name"] in secrets, f"{ref(d)}: {var['name']} -> unknown Secret {key_ref['name']}"
                    assert key_ref["key"] in secrets[key_ref["name"]], f"{ref(d)}: {var['name']} -> no key {key_ref['key']}"
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                name = volume["secret"]["secretName"]
                assert name in secrets, f"{ref(d)}: volume {volume['name']} -> unknown Secret {name}"
                for item in volume["secret"].get("items", []):
                    assert item["key"] in secrets[name], f"{ref(d)}: {name} has no key {item['key']}"
    for cluster in find(docs, "Cluster"):
        names = [cluster["spec"]["bootstrap"]["initdb"]["secret"]["name"]]
        names += [r["passwordSecret"]["name"] for r in cluster["spec"]["managed"]["roles"]]
        assert set(names) <= set(secrets), f"{ref(cluster)}: {sorted(set(names) - set(secrets))}"


@pytest.mark.parametrize("overlay", CASES)
def test_environment_is_complete_and_read_by_the_programs(overlay: str) -> None:
    docs = render(OVERLAYS[overlay])
    for d in find(docs, "Deployment"):
        app = programs()[d["metadata"]["name"]]
        pod = pod_template(d)["spec"]
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            env = container_env(docs, container)
            unread = set(env) - settings_env(app)
            assert not unread, f"{ref(d)}/{container['name']}: {app.name} reads none of {sorted(unread)}"
        if app is not BANKSIM:
            (main,) = pod["containers"]
            missing = required_env(app) - set(container_env(docs, main))
            assert not missing, f"{ref(d)}: {sorted(missing)} not set"
