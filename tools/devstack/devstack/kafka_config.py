"""The broker's configuration files and a log filter used while polling it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path


def server_properties(port: int, controller_port: int, data_dir: Path, extra: Mapping[str, str] | None = None) -> str:
    """server.properties for one combined broker+controller node on 127.0.0.1 (see KAFKA.md).

    Small internal topics (3 partitions) keep the first consumer-group join fast; the 32 MiB
    dedupe buffer keeps the log cleaner from exhausting a 512 MiB heap at start. Retention is
    left at the broker default: topics set their own.
    """
    c = controller_port
    lines = [
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{c}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{c}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "inter.broker.listener.name=PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={data_dir}",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=3",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=3",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=false",
        "log.cleaner.dedupe.buffer.size=33554432",
        "num.network.threads=2",
        "num.io.threads=2",
        "num.partitions=12",
        "default.replication.factor=1",
        "min.insync.replicas=1",
    ]
    lines += [f"{k}={v}" for k, v in (extra or {}).items()]
    return "\n".join(lines) + "\n"


LOG4J_PROPERTIES = """\
log4j.rootLogger=INFO, kafkaAppender
log4j.appender.kafkaAppender=org.apache.log4j.RollingFileAppender
log4j.appender.kafkaAppender.File=${kafka.logs.dir}/server.log
log4j.appender.kafkaAppender.MaxFileSize=50MB
log4j.appender.kafkaAppender.MaxBackupIndex=3
log4j.appender.kafkaAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.kafkaAppender.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.controller=INFO
log4j.logger.kafka.log.LogCleaner=INFO
"""


class DropConnectErrors(logging.Filter):
    """Hides aiokafka's "Unable connect" errors for our own address while we poll for readiness."""

    def __init__(self, bootstrap: str) -> None:
        super().__init__()
        self._needle = bootstrap

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        return not (isinstance(msg, str) and msg.startswith("Unable connect") and self._needle in record.getMessage())
