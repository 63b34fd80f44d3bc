"""Dues from assessed liabilities: the consumer that turns relief.events into ledger entries.

For each liability event, in the consumer's transaction (so the entries, the event id and the
offset commit together, effectively once): load the payer's ledger stream, fold it, let the
domain decide (``record_liability``: the difference against the dues recorded so far, then the
settling of credits and offsets it causes) and append with the stream's expected version.
A repeated or older liability event records nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.processing import Subscription
from eventkit.store import EventStore
from refund.adapters.readers import IGNORED_PREFIXES, notice_of, relief_registry
from refund.adapters.topics import RELIEF_TOPIC
from refund.domain.allocation import SettlementRule, record_liability
from refund.domain.events import ledger_stream
from refund.domain.ledger import Ledger, fold

GROUP = "processor.dues"


async def load_ledger(session: AsyncSession, store: EventStore, credit_code: str) -> tuple[Ledger, int]:
    """The payer's ledger as it stands, and its stream version."""
    messages = await store.load(session, ledger_stream(credit_code))
    return fold(m.event for m in messages), len(messages)


def dues_processor(store: EventStore, rule: SettlementRule | None = None) -> Subscription:
    settlement = rule or SettlementRule()

    async def handle(session: AsyncSession, msg: Message) -> None:
        notice = notice_of(msg)
        ledger, version = await load_ledger(session, store, notice.credit_code)
        events = record_liability(ledger, notice, settlement)
        await store.append(session, ledger_stream(notice.credit_code), version, events, subject=notice.credit_code)

    return Subscription(group=GROUP, topics=(RELIEF_TOPIC,), handler=handle, registry=relief_registry, ignore=IGNORED_PREFIXES)
