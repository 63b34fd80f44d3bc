"""Worker processes for the kernel's crash tests: a relay or a ledger consumer that a test can
SIGKILL at any instant and start again.

    python -m eventkit.testing.worker relay   --db URL --bootstrap HOST:PORT [--batch N]
    python -m eventkit.testing.worker consume --db URL --bootstrap HOST:PORT --topic T
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from eventkit.consumer import ConsumerRunner
from eventkit.db import make_engine, make_sessionmaker
from eventkit.deadletter import DeadLetters
from eventkit.kafka import make_producer
from eventkit.outbox import OutboxRelay
from eventkit.testing import ledger


async def main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    engine = make_engine(args.db)
    sessions = make_sessionmaker(engine)
    producer = make_producer(args.bootstrap, client_id=f"worker-{args.role}")
    await producer.start()
    try:
        if args.role == "relay":
            relay = OutboxRelay(
                service="worker",
                sessions=sessions,
                tables=ledger.kernel,
                producer=producer,
                batch_size=args.batch,
                idle_poll_s=0.05,
            )
            await relay.run(stop)
        else:
            runner = ConsumerRunner(
                service="worker",
                bootstrap=args.bootstrap,
                sessions=sessions,
                tables=ledger.kernel,
                subscription=ledger.projection(args.topic).subscription(),
                dead_letters=DeadLetters(service="worker", producer=producer),
                max_records=args.batch,
                instance_id=args.instance_id,
            )
            await runner.run(stop)
    finally:
        await producer.stop()
        await engine.dispose()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="eventkit.testing.worker")
    p.add_argument("role", choices=["relay", "consume"])
    p.add_argument("--db", required=True)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", default="ledger.events")
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--instance-id", default=None, help="static group membership id (kept across restarts)")
    return p.parse_args(argv)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(parse()))
