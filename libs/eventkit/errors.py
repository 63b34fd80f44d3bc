"""Errors the kernel raises. Each names what went wrong in terms a caller can act on."""

from __future__ import annotations


class EventKitError(Exception):
    """Base class of kernel errors."""


class ConcurrencyError(EventKitError):
    """An append found the stream at another version than the command expected.

    The command layer reloads the aggregate and decides again (see eventkit.commands.retrying).
    """

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        super().__init__(f"stream {stream_id!r}: expected version {expected}, found {actual}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class MalformedEvent(EventKitError):
    """A record that is not a valid CloudEvent of a known schema (bad headers, JSON or fields)."""


class UnknownEventType(EventKitError):
    """A record whose type (or type version) this reader has no class or upcaster for."""


class ContractViolation(EventKitError):
    """An event about to be appended does not conform to its committed contract
    (contracts/events/<name>.v<version>.json); raised only when contract checking is on
    (eventkit.contracts, `EVENTKIT_VALIDATE_CONTRACTS`)."""
