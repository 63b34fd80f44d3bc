"""Publishing policies to the log, and the policy set the service assesses with.

``publish`` appends ``PolicyPublished`` to stream ``policy-<id>`` on policy.events, once per
content: the same document again (same content hash) appends nothing. A new version of a policy
needs its own publication date; the whole set, with the new version, must still hold together
(overrides point at base policies of the same kind, amended rules exist…), or nothing is written.

``PolicyCache`` gives the set the assessor and the API use: every version recorded in
``rc_policies`` (the inputs projection of policy.events), rebuilt only when that table changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.store import EventStore
from relief_calc.adapters.tables import kernel, policies
from relief_calc.adapters.topics import POLICY_TOPIC
from relief_calc.domain.errors import PolicyDataError
from relief_calc.domain.policies import PolicySet, parse_policy
from relief_calc.domain.policy_events import PolicyPublished, policy_published, policy_stream
from relief_calc.domain.policy_model import Policy

PUBLISHED_TYPE = PolicyPublished.name


class PolicyConflict(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Publication:
    policy_id: str
    published: str
    content_hash: str
    appended: bool  # False: this content was already published


async def published_policies(session: AsyncSession) -> list[Policy]:
    """Every version this service has published, straight from its event store (exact at once)."""
    t = kernel.events
    rows = await session.execute(sa.select(t.c.data).where(t.c.event_type == PUBLISHED_TYPE).order_by(t.c.position))
    return [Policy.model_validate(data["policy"]) for (data,) in rows]


async def publish(session: AsyncSession, store: EventStore, policy: Policy, *, by: str, source: str) -> Publication:
    """Publish one version (see the module docstring); raises PolicyConflict or PolicyDataError."""
    digest = policy.content_hash()
    stream = policy_stream(policy.id)
    versions = await store.load(session, stream)
    for message in versions:
        event = message.event
        assert isinstance(event, PolicyPublished)
        if event.content_hash == digest:
            return Publication(policy.id, event.published, digest, appended=False)
        if event.published == policy.published.isoformat():
            raise PolicyConflict(
                f"政策{policy.id}在{policy.published}已发布过内容不同的版本；修订须另定发布日期",
                f"policy {policy.id} already has a different version published on {policy.published}; "
                "an amendment needs its own publication date",
            )
    PolicySet([*(await published_policies(session)), policy])  # the set must still hold together
    await store.append(
        session,
        stream,
        len(versions),
        [policy_published(policy, by=by, source=source)],
        subject=policy.id,
        topic=POLICY_TOPIC,
    )
    return Publication(policy.id, policy.published.isoformat(), digest, appended=True)


def policy_files(directory: Path) -> list[tuple[str, Policy]]:
    """``(file name, policy)`` of every ``*.yaml`` in ``directory``, in publication order."""
    found = []
    for path in sorted(directory.glob("*.yaml")):
        policy = parse_policy(path.read_text(encoding="utf-8"), name=path.name)
        if path.stem != policy.id:
            raise PolicyDataError(f"{path.name}：文件名应为{policy.id}.yaml", f"{path.name}: must be named {policy.id}.yaml")
        found.append((path.name, policy))
    return sorted(found, key=lambda item: (item[1].published, item[1].overrides is not None, item[1].id))


class PolicyCache:
    """The set of every policy version in ``rc_policies``, re-read only when the table changed."""

    def __init__(self) -> None:
        self._key: tuple[tuple[str, str, str], ...] | None = None
        self._set: PolicySet | None = None

    async def current(self, session: AsyncSession) -> PolicySet | None:
        """None while no policy has been projected yet."""
        t = policies
        rows = (await session.execute(sa.select(t.c.policy_id, t.c.published, t.c.content_hash))).all()
        key = tuple(sorted((r.policy_id, r.published.isoformat(), r.content_hash) for r in rows))
        if not key:
            return None
        if key != self._key:
            documents = await session.execute(sa.select(t.c.document))
            self._set = PolicySet(Policy.model_validate(doc) for (doc,) in documents)
            self._key = key
        return self._set


class PublishedPolicies:
    """The set of every version this service has published, from its own event store (exact at
    once, unlike the projection); for commands and previews. Re-read only when a version is added."""

    def __init__(self) -> None:
        self._key: tuple[int, int] | None = None
        self._set: PolicySet | None = None

    async def __call__(self, session: AsyncSession) -> PolicySet:
        t = kernel.events
        count, last = (
            await session.execute(sa.select(sa.func.count(), sa.func.max(t.c.position)).where(t.c.event_type == PUBLISHED_TYPE))
        ).one()
        if not count:
            raise PolicyDataError(
                "尚未发布任何政策", "no policy has been published yet (the service publishes its policy files at start-up)"
            )
        if self._set is None or self._key != (count, last):
            self._set = PolicySet(await published_policies(session))
            self._key = (count, last)
        return self._set
