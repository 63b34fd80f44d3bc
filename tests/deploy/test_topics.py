"""deploy/topics.yaml, the one topic list, and the files generated from it for both deployments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from deploykit import BASE, DEPLOY, compose, find, payer_partitions, render, render_module, topic_table, topics_source

# The topics DESIGN.md names (base topic -> partitions); each also has "<topic>.dlq".
DESIGN_TOPICS = {
    "declaration.events": 12,
    "relief.events": 12,
    "refund.events": 12,
    "classification.events": 12,
    "policy.events": 1,
}


def test_topics_source_follows_the_design() -> None:
    table = topic_table()
    assert len(table) == len(topics_source()["topics"]), "duplicate topic names in deploy/topics.yaml"
    for base, partitions in DESIGN_TOPICS.items():
        assert base in table, f"{base} missing from deploy/topics.yaml"
        assert table[base]["partitions"] == partitions, base
    for name, topic in table.items():
        assert topic["config"].get("retention.ms") == "-1", f"{name}: events are kept forever"
        if name.endswith(".dlq"):
            assert name[: -len(".dlq")] in table, f"{name} is a dead-letter topic of no topic"
        else:
            dlq = table.get(name + ".dlq")
            assert dlq is not None, f"{name} has no dead-letter topic {name}.dlq"
            assert dlq == topic, f"{name}.dlq must have the same partitions and config as {name}"
    assert payer_partitions() == 12
    assert topics_source()["replication_factor"] == {"compose": 1, "kubernetes": 3}


def test_generated_topic_files_are_up_to_date() -> None:
    module = render_module()
    for path, text in module.outputs().items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python deploy/render_topics.py"
    assert module.K8S_TOPICS_FILE.parent == BASE / "kafka"


def test_both_deployments_create_the_same_topics(tmp_path: Path) -> None:
    result, created = run_topic_script(tmp_path)
    assert result.returncode == 0, result.stderr
    k8s_topics = {t["spec"].get("topicName", t["metadata"]["name"]) for t in find(render(BASE), "KafkaTopic")}
    assert set(created) == k8s_topics == set(topic_table())


# --------------------------------------------------------------------------- compose: the topic job

STUB = """#!{python}
import json, os, sys
args = sys.argv[1:]
state_file = os.environ["STUB_STATE"]
state = json.load(open(state_file)) if os.path.exists(state_file) else {{}}
topic = args[args.index("--topic") + 1]
if "--create" in args:
    configs = [args[i + 1] for i, a in enumerate(args) if a == "--config"]
    state.setdefault(topic, {{
        "partitions": int(args[args.index("--partitions") + 1]),
        "replication_factor": int(args[args.index("--replication-factor") + 1]),
        "config": dict(c.split("=", 1) for c in configs),
        "bootstrap": args[args.index("--bootstrap-server") + 1],
    }})
    json.dump(state, open(state_file, "w"))
elif "--describe" in args:
    partitions = state[topic]["partitions"] + int(os.environ.get("STUB_SKEW", "0"))
    print(f"Topic: {{topic}}\\tTopicId: x\\tPartitionCount: {{partitions}}\\tReplicationFactor: 1\\tConfigs: ")
"""


def run_topic_script(tmp_path: Path, skew: int = 0) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run deploy/compose/create-topics.sh against a stub kafka-topics.sh that records what it is asked."""
    stub = tmp_path / "kafka-topics.sh"
    stub.write_text(STUB.format(python=sys.executable))
    stub.chmod(0o755)
    state = tmp_path / "state.json"
    env = dict(os.environ, KAFKA_TOPICS=str(stub), STUB_STATE=str(state), STUB_SKEW=str(skew))
    env.update({k: str(v) for k, v in compose()["services"]["kafka-topics"]["environment"].items()})
    result = subprocess.run(
        ["sh", str(DEPLOY / "compose" / "create-topics.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    return result, (json.loads(state.read_text()) if state.exists() else {})


def test_compose_topic_job_creates_exactly_the_topic_list(tmp_path: Path) -> None:
    result, created = run_topic_script(tmp_path)
    assert result.returncode == 0, result.stderr
    assert {n: {"partitions": t["partitions"], "config": t["config"]} for n, t in created.items()} == topic_table()
    assert {t["replication_factor"] for t in created.values()} == {topics_source()["replication_factor"]["compose"]}
    assert {t["bootstrap"] for t in created.values()} == {"kafka:9092"}


def test_compose_topic_job_fails_on_a_wrong_partition_count(tmp_path: Path) -> None:
    result, _ = run_topic_script(tmp_path, skew=1)
    assert result.returncode != 0
    assert "expected" in result.stderr
