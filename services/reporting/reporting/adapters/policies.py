"""Projection `policies` (policy.events → rp_policies): the latest published version of each
policy document: its number, title, publication date and the fee periods it covers (the window
the medical form prints)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from reporting.adapters import readers as r
from reporting.adapters.rows import upsert
from reporting.adapters.tables import policies
from reporting.adapters.topics import POLICY_TOPIC


def _window(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    periods = doc.get("periods") or {}
    if not isinstance(periods, dict):
        return None, None
    first, last = periods.get("from"), periods.get("to")
    return (str(first) if first else None, str(last) if last else None)


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    if not isinstance(e, r.PolicyPublished):
        return
    first, last = _window(e.policy)
    values = {
        "document_number": str(e.policy.get("document_number") or e.policy_id),
        "title": str(e.policy.get("title") or ""),
        "published": e.published, "period_from": first, "period_to": last, "content_hash": e.content_hash,
    }  # fmt: skip
    await upsert(session, policies, {"policy_id": e.policy_id}, values)


def projection() -> Projection:
    return Projection(
        name="policies",
        topics=(POLICY_TOPIC,),
        tables=(policies,),
        handler=apply,
        registry=r.policy_registry,
        ignore=("policy.",),
    )
