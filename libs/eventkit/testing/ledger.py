"""A tiny ledger domain used to prove the kernel: deposits to accounts, projected into balances.

The projection is deliberately *not* idempotent by itself (it adds amounts and extends a hash
chain), so applying an event twice or out of order shows in its content, not in any counter the
kernel keeps.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Event, EventRegistry, Message
from eventkit.projection import Projection
from eventkit.schema import kernel_tables


class Deposited(Event):
    name = "ledger.Deposited"
    version = 2
    account: str
    amount_fen: int
    memo: str = ""


class Withdrawn(Event):
    name = "ledger.Withdrawn"
    amount_fen: int


registry = EventRegistry(Deposited, Withdrawn)


@registry.upcaster("ledger.Deposited", 1)
def _deposited_v1_to_v2(data: dict[str, object]) -> dict[str, object]:
    # v1 called the amount `fen` and had no memo.
    data["amount_fen"] = data.pop("fen")
    data.setdefault("memo", "")
    return data


metadata = sa.MetaData()
kernel = kernel_tables(metadata)
balances = sa.Table(
    "ledger_balances",
    metadata,
    sa.Column("account", sa.String(64), primary_key=True),
    sa.Column("balance_fen", sa.BigInteger, nullable=False),
    sa.Column("events", sa.Integer, nullable=False),
    sa.Column("chain", sa.String(64), nullable=False),
)
applied = sa.Table(
    "ledger_applied",
    metadata,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("account", sa.String(64), nullable=False),
    sa.Column("stream_version", sa.Integer, nullable=False),
    sa.Column("times_applied", sa.Integer, nullable=False),  # must end up 1 for every event
)


def chain_step(chain: str, event_id: str) -> str:
    return hashlib.sha256(f"{chain}:{event_id}".encode()).hexdigest()


async def apply(session: AsyncSession, msg: Message) -> None:
    event = msg.event
    account = msg.envelope.streamid or msg.subject
    amount = event.amount_fen if isinstance(event, Deposited) else -event.amount_fen  # type: ignore[attr-defined]
    row = (await session.execute(sa.select(balances).where(balances.c.account == account))).first()
    if row is None:
        await session.execute(
            sa.insert(balances).values(account=account, balance_fen=amount, events=1, chain=chain_step("", msg.event_id))
        )
    else:
        await session.execute(
            sa.update(balances)
            .where(balances.c.account == account)
            .values(balance_fen=row.balance_fen + amount, events=row.events + 1, chain=chain_step(row.chain, msg.event_id))
        )
    seen = await session.scalar(sa.select(applied.c.times_applied).where(applied.c.event_id == msg.event_id))
    if seen is None:
        await session.execute(
            sa.insert(applied).values(
                event_id=msg.event_id, account=account, stream_version=msg.envelope.streamversion or 0, times_applied=1
            )
        )
    else:
        await session.execute(sa.update(applied).where(applied.c.event_id == msg.event_id).values(times_applied=seen + 1))


def projection(topic: str) -> Projection:
    return Projection(name="ledger", topics=(topic,), tables=(balances, applied), handler=apply, registry=registry)
