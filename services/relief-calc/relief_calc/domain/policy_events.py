"""Policies on the log: `PolicyPublished` on `policy.events` (one partition, read in full).

Stream `policy-<policy id>`, subject (Kafka key) the policy id. One event per version of a
document: the whole policy (the validated model of ``policies/*.yaml``) and its content hash.
Publishing the same content again appends nothing (idempotent by content hash); an amendment is a
new version with a later publication date.
"""

from __future__ import annotations

from typing import Any

from eventkit.events import Event
from relief_calc.domain.policy_model import Policy


class PolicyPublished(Event):
    name = "policy.PolicyPublished"
    policy_id: str
    published: str  # YYYY-MM-DD: the day the document became known (the bitemporal axis)
    content_hash: str
    policy: dict[str, Any]  # the policy document, as relief_calc.domain.policy_model.Policy
    published_by: str
    source: str  # file:<name> | rest


def policy_published(policy: Policy, *, by: str, source: str) -> PolicyPublished:
    """The event of one version. The document is dumped with the fields it was given only, so that
    it validates back to the same policy (and the same content hash)."""
    return PolicyPublished(
        policy_id=policy.id,
        published=policy.published.isoformat(),
        content_hash=policy.content_hash(),
        policy=policy.model_dump(mode="json", by_alias=True, exclude_unset=True),
        published_by=by,
        source=source,
    )


def policy_stream(policy_id: str) -> str:
    return f"policy-{policy_id}"
