"""Commands on webhooks: register (the secret made here, shown once), revoke, replay from a time.

Each appends its event to the webhook's stream with the expected version and writes the
`webhooks` row through in the same transaction (see adapters.webhooks); a replay queues its
deliveries from the archive in that transaction too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.crypto import Keyring, Sealed
from eventkit.events import Message
from eventkit.store import NO_STREAM, EventStore
from subscriptions.adapters import archive, deliveries, webhooks
from subscriptions.domain import signing
from subscriptions.domain.events import (
    SECRET_CONTEXT,
    ReplayRequested,
    WebhookRegistered,
    WebhookRevoked,
    webhook_stream,
)


def _mask_secret(secret: str) -> str:
    return secret[:10] + "…"


@dataclass(frozen=True)
class Registration:
    webhook: dict[str, Any]
    secret: str


async def _append_and_apply(
    session: AsyncSession, store: EventStore, stream: str, expected: int, event: Any, subject: str
) -> None:
    [env] = await store.append(session, stream, expected, [event], subject=subject)
    await webhooks.apply(session, Message(env, event))


async def register(
    session: AsyncSession, store: EventStore, keyring: Keyring, *, agency: str, url: str, event_types: list[str],
    description: str, by: str,
) -> Registration:  # fmt: skip
    webhook_id = "wh_" + uuid.uuid4().hex[:24]
    secret = signing.new_secret()
    event = WebhookRegistered(
        webhook_id=webhook_id, agency=agency, url=url, event_types=tuple(event_types),
        secret=Sealed.seal(secret, keyring, SECRET_CONTEXT, mask=_mask_secret), description=description, registered_by=by,
    )  # fmt: skip
    await _append_and_apply(session, store, webhook_stream(webhook_id), NO_STREAM, event, webhook_id)
    hook = await webhooks.get(session, webhook_id)
    assert hook is not None
    return Registration(hook, secret)


async def revoke(session: AsyncSession, store: EventStore, hook: dict[str, Any], *, by: str) -> None:
    stream = webhook_stream(hook["webhook_id"])
    version = await store.version(session, stream)
    event = WebhookRevoked(webhook_id=hook["webhook_id"], agency=hook["agency"], revoked_by=by)
    await _append_and_apply(session, store, stream, version, event, hook["webhook_id"])


async def replay(session: AsyncSession, store: EventStore, hook: dict[str, Any], *, since: datetime, by: str) -> dict[str, Any]:
    replay_id = "rp_" + uuid.uuid4().hex[:24]
    now = datetime.now(UTC)
    queued = 0
    for row in await archive.since(session, since, list(hook["event_types"])):
        queued += await deliveries.queue(
            session, webhook_id=hook["webhook_id"], event_id=row["event_id"], event_type=row["event_type"], body=row["body"],
            now=now, replay_id=replay_id,
        )  # fmt: skip
    stream = webhook_stream(hook["webhook_id"])
    event = ReplayRequested(
        webhook_id=hook["webhook_id"], agency=hook["agency"], replay_id=replay_id, since=since, queued=queued, requested_by=by
    )
    await store.append(session, stream, await store.version(session, stream), [event], subject=hook["webhook_id"])
    return {"replay_id": replay_id, "since": since, "queued": queued}
