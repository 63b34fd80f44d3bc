"""The events the subscriptions service writes (topic subscriptions.events), and the catalog of
public integration events an agency can choose.

Stream ``webhook-<id>`` per registered webhook; subject (Kafka key) the webhook id. The secret
travels only sealed (eventkit.crypto.Sealed, context ``subscriptions/webhook-secret``): it is
shown to the agency once, at registration.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from eventkit.crypto import Sealed
from eventkit.events import Event, EventRegistry

SECRET_CONTEXT = "subscriptions/webhook-secret"

# CloudEvents type → the public topic it is published on (by its owning service).
CATALOG: dict[str, str] = {
    "relief.public.CollectionAssessed.v1": "public.collection-details",
    "relief.public.CollectionPaid.v1": "public.collection-details",
    "relief.public.ReliefDecision.v1": "public.relief-decisions",
    "relief.public.SizeCorrected.v1": "public.size-corrections",
}
DESCRIPTIONS: dict[str, str] = {
    "relief.public.CollectionAssessed.v1": "征收明细 (assessed): original, relief, payable per insurance (relief-calc)",
    "relief.public.CollectionPaid.v1": "征收明细 (paid): due, paid, offset, refunded, outstanding per insurance (refund)",
    "relief.public.ReliefDecision.v1": "减免核定: relief per insurance with its policy basis (relief-calc)",
    "relief.public.SizeCorrected.v1": "企业划型更正: a corrected enterprise size for a range of fee periods (classification)",
}
PUBLIC_TOPICS: tuple[str, ...] = tuple(sorted(set(CATALOG.values())))


def webhook_stream(webhook_id: str) -> str:
    return f"webhook-{webhook_id}"


class WebhookRegistered(Event):
    name = "subscriptions.WebhookRegistered"
    webhook_id: str
    agency: str
    url: str
    event_types: tuple[str, ...]
    secret: Sealed
    description: str = ""
    registered_by: str


class WebhookRevoked(Event):
    name = "subscriptions.WebhookRevoked"
    webhook_id: str
    agency: str
    revoked_by: str


class ReplayRequested(Event):
    """Re-deliver the webhook's chosen events published since `since` (each as a new delivery)."""

    name = "subscriptions.ReplayRequested"
    webhook_id: str
    agency: str
    replay_id: str
    since: datetime
    queued: int = Field(description="deliveries queued by the replay")
    requested_by: str


registry = EventRegistry(WebhookRegistered, WebhookRevoked, ReplayRequested)
