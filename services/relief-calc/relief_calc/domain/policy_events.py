"""Policies on the log: `PolicyPublished` on `policy.events` (one partition, read in full).

Stream `policy-<policy id>`, subject (Kafka key) the policy id. One event per version of a
document: the whole policy (the validated model of ``policies/*.yaml``) and its content hash.
Publishing the same content again appends nothing (idempotent by content hash); an amendment is a
new version with a later publication date.
"""

from __future__ import annotations

from typing import Any

from eventkit.events import Event


class PolicyPublished(Event):
    name = "policy.PolicyPublished"
    policy_id: str
    published: str  # YYYY-MM-DD: the day the document became known (the bitemporal axis)
    content_hash: str
    policy: dict[str, Any]  # the policy document, as relief_calc.domain.policy_model.Policy
    published_by: str
    source: str  # file:<name> | rest


def policy_stream(policy_id: str) -> str:
    return f"policy-{policy_id}"
