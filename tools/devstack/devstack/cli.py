"""``devstack`` command line: fetch the Kafka jars, run a broker or a PostgreSQL cluster.

Subcommands owned here: ``kafka-jars``, ``kafka``, ``postgres``.

Extension point for the whole-platform runner (``devstack run``): it lives in
``devstack/run.py``, which is NOT part of this module and may be absent. If present it must
define ``add_parser(subparsers: argparse._SubParsersAction) -> None`` that registers its
subcommand and sets ``func=<callable(argparse.Namespace) -> int>`` via ``set_defaults``.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from devstack.jars import DEFAULT_VERSION, ensure_kafka_jars
from devstack.kafka import KafkaBroker, KafkaStartError
from devstack.postgres import PostgresCluster, PostgresError


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _foreground(is_alive: Callable[[], bool], on_death: Callable[[], str]) -> int:
    """Block until Ctrl-C / SIGTERM (exit 0) or until the service dies on its own (exit 1)."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while True:
            time.sleep(0.5)
            if not is_alive():
                print("service exited unexpectedly\n" + on_death(), file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        return 0


def cmd_kafka_jars(args: argparse.Namespace) -> int:
    print(ensure_kafka_jars(args.version))
    return 0


def cmd_kafka(args: argparse.Namespace) -> int:
    broker = KafkaBroker(
        Path(args.workdir),
        port=args.port,
        controller_port=args.controller_port,
        version=args.version,
        heap=args.heap,
    )
    try:
        broker.start(timeout=args.timeout)
    except KafkaStartError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"bootstrap={broker.bootstrap}", flush=True)
    print(f"kafka {args.version} pid={broker.pid} logs={broker.log_dir} (Ctrl-C stops)", flush=True)
    try:
        return _foreground(broker.is_running, broker.tail_log)
    finally:
        print("stopping kafka ...", file=sys.stderr, flush=True)
        broker.stop()


def cmd_postgres(args: argparse.Namespace) -> int:
    cluster = PostgresCluster(Path(args.workdir), port=args.port)
    try:
        cluster.start()
        for name in args.db:
            cluster.create_database(name)
    except PostgresError as exc:
        print(exc, file=sys.stderr)
        return 1
    for name in args.db or ["postgres"]:
        print(f"dsn={cluster.dsn(name)}", flush=True)
    print(f"postgres pid={cluster.postmaster_pid()} log={cluster.log_file} (Ctrl-C stops)")
    sys.stdout.flush()
    try:
        return _foreground(cluster.is_running, cluster.log_tail)
    finally:
        print("stopping postgres ...", file=sys.stderr, flush=True)
        cluster.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devstack", description="Local Kafka and PostgreSQL for the relief platform.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("kafka-jars", help="resolve the Kafka broker jars (Maven) and print the dir")
    p.add_argument("--version", default=DEFAULT_VERSION)
    p.set_defaults(func=cmd_kafka_jars)

    p = sub.add_parser("kafka", help="run one Kafka broker in the foreground until Ctrl-C")
    p.add_argument("--workdir", required=True, help="broker config, data and logs live here")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--controller-port", type=int, default=None)
    p.add_argument("--version", default=DEFAULT_VERSION)
    p.add_argument("--heap", default="512m")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for readiness")
    p.set_defaults(func=cmd_kafka)

    p = sub.add_parser("postgres", help="run one PostgreSQL cluster in the foreground until Ctrl-C")
    p.add_argument("--workdir", required=True, help="data dir, socket and log live here")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--db", action="append", default=[], help="create this database (repeatable)")
    p.set_defaults(func=cmd_postgres)

    # ---- extension point: `devstack run` (devstack/run.py, owned by the platform lead) ----
    try:
        run_module = importlib.import_module("devstack.run")
    except ModuleNotFoundError as exc:
        if exc.name != "devstack.run":
            raise
    else:
        run_module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
