"""CloudEvents binary binding and the event type registry (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eventkit import context
from eventkit.envelope import Envelope
from eventkit.errors import MalformedEvent, UnknownEventType
from eventkit.events import EventRegistry, new_envelope
from eventkit.testing.ledger import Deposited, Withdrawn, registry


def test_binary_binding_round_trip_carries_every_attribute() -> None:
    with context.bind(correlation_id="corr-1", request_id="req-1", traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01"):
        env = new_envelope(
            Deposited(account="A", amount_fen=5, memo="二月"),
            source="/relief/test",
            subject="91320600MA1XXXXXX0",
            stream_id="acct-A",
            stream_version=3,
        )
    headers = dict(env.kafka_headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"relief.ledger.Deposited.v2"
    assert headers["ce_subject"] == b"91320600MA1XXXXXX0"
    assert headers["ce_dataschema"] == b"urn:relief:schema:ledger.Deposited:v2"
    assert headers["ce_correlationid"] == b"corr-1"
    assert headers["ce_causationid"] == b"req-1"
    assert headers["content-type"] == b"application/json"
    # the trace continues (same trace id) with a new span id
    assert headers["ce_traceparent"].decode().split("-")[1] == "a" * 32
    assert headers["traceparent"] == headers["ce_traceparent"]
    assert env.key == b"91320600MA1XXXXXX0"
    back = Envelope.from_kafka(env.kafka_headers(), env.kafka_value())
    assert back == env
    assert registry.decode(back).event == Deposited(account="A", amount_fen=5, memo="二月")


def test_time_is_utc_with_z() -> None:
    env = new_envelope(Withdrawn(amount_fen=1), source="/s", subject="P", time=datetime(2020, 2, 1, 8, 0, tzinfo=UTC))
    assert dict(env.kafka_headers())["ce_time"] == b"2020-02-01T08:00:00Z"


@pytest.mark.parametrize(
    ("headers", "value", "problem"),
    [
        ([], b"{}", "missing CloudEvents attribute"),
        ([("ce_specversion", b"0.3"), ("ce_id", b"1"), ("ce_source", b"/s"), ("ce_type", b"relief.x.v1")], b"{}", "specversion"),
        (
            [("ce_specversion", b"1.0"), ("ce_id", b"1"), ("ce_source", b"/s"), ("ce_type", b"relief.x.v1")],
            b"{not json",
            "not JSON",
        ),
        ([("ce_specversion", b"1.0"), ("ce_id", b"1"), ("ce_source", b"/s"), ("ce_type", b"relief.x.v1")], b"[1]", "JSON object"),
        ([("ce_specversion", b"1.0"), ("ce_id", b"1"), ("ce_source", b"/s"), ("ce_type", b"relief.x.v1")], None, "no data"),
    ],
)
def test_malformed_records_are_named(headers: list[tuple[str, bytes]], value: bytes | None, problem: str) -> None:
    with pytest.raises(MalformedEvent, match=problem):
        Envelope.from_kafka(headers, value)


def test_upcaster_turns_v1_into_current() -> None:
    event = registry.decode_data("ledger.Deposited", 1, {"account": "A", "fen": 700})
    assert event == Deposited(account="A", amount_fen=700, memo="")


@pytest.mark.parametrize(
    ("name", "version", "message"),
    [
        ("ledger.Unheard", 1, "unknown event type"),
        ("ledger.Deposited", 3, "newer than this reader"),
    ],
)
def test_unknown_types_and_versions_are_errors(name: str, version: int, message: str) -> None:
    with pytest.raises(UnknownEventType, match=message):
        registry.decode_data(name, version, {})


def test_missing_upcaster_is_an_error() -> None:
    reg = EventRegistry(Deposited)  # knows v2 but has no v1 → v2 step
    with pytest.raises(UnknownEventType, match="no upcaster"):
        reg.decode_data("ledger.Deposited", 1, {"account": "A", "fen": 1})


def test_invalid_data_of_a_known_type_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="amount_fen"):
        registry.decode_data("ledger.Withdrawn", 1, {"amount_fen": "lots"})


def test_type_outside_the_naming_scheme_is_unknown() -> None:
    env = Envelope(id="1", source="/s", type="com.example.thing", subject="P", time=datetime.now(UTC), data={})
    with pytest.raises(UnknownEventType):
        registry.decode(env)


def test_a_name_cannot_be_registered_twice_by_different_classes() -> None:
    class Other(Withdrawn):
        pass

    with pytest.raises(ValueError, match="registered twice"):
        EventRegistry(Withdrawn, Other)
