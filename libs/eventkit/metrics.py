"""Prometheus metrics of the kernel. One definition each, labelled by service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by route template, method and status",
    ["service", "method", "route", "status"],
)
EVENTS_APPENDED = Counter("eventkit_events_appended_total", "Events appended to the event store", ["service", "type"])
EVENTS_PUBLISHED = Counter("eventkit_events_published_total", "Events acknowledged by Kafka", ["service", "topic"])
EVENTS_CONSUMED = Counter("eventkit_events_consumed_total", "Events applied by a consumer group", ["service", "group", "topic"])
EVENTS_DUPLICATE = Counter(
    "eventkit_events_duplicate_total", "Events dropped as already applied (by event id)", ["service", "group", "topic"]
)
EVENTS_IGNORED = Counter(
    "eventkit_events_ignored_total",
    "Events of other services a group does not need, skipped (Subscription.ignore)",
    ["service", "group", "topic"],
)
EVENTS_DEAD_LETTERED = Counter(
    "eventkit_events_dead_lettered_total", "Events sent to a dead-letter topic", ["service", "group", "topic", "reason"]
)
TRANSIENT_RETRIES = Counter(
    "eventkit_transient_retries_total", "Batches retried after a transient fault", ["service", "component"]
)
CONSUMER_LAG = Gauge(
    "eventkit_consumer_lag",
    "Records between a group's position and the partition end",
    ["service", "group", "topic", "partition"],
)
OUTBOX_BACKLOG = Gauge("eventkit_outbox_backlog", "Committed events not yet acknowledged by Kafka", ["service"])
