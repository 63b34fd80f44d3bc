"""Structured JSON logs on stdout, with personal numbers masked.

One JSON object per line: time, level, logger, message, service, request_id, correlation_id,
traceparent, then every `extra={...}` field of the call, then `exception` when there is one.

Masking: an 18-character Chinese resident ID number (17 digits and a digit or X) and any run of
12 to 30 digits (a bank account number) keep their first and last 4 characters only, e.g.
`6222********1234`. This runs on the rendered message, on every string among the extras (nested
in dicts and lists too) and on the traceback, so no call site has to remember it. It errs towards
masking: a long number that is neither (an all-digit credit code, a long timestamp) is masked too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from eventkit import context

# ASCII digits only; `(?<!\d)`/`(?!\d)` so a longer run is never split into a masked part and
# a visible part. The ID alternative comes first so its trailing X is masked with the digits.
_SENSITIVE = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{12,30})(?![0-9])", re.ASCII)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "color_message"}

_HANDLER_NAME = "eventkit-json"


def _mask(value: str) -> str:
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_id_number(value: str) -> str:
    """Mask a resident ID number: `110105199001011234` -> `1101**********1234`."""
    return _mask(value)


def mask_account(value: str) -> str:
    """Mask a bank account number: `6222020200001234` -> `6222********1234`."""
    return _mask(value)


def mask_text(text: str) -> str:
    """Mask every ID number and bank account number found in free text."""
    return _SENSITIVE.sub(lambda m: _mask(m.group(0)), text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_value(v) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """Masks the message and the extras of every record passing the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg = mask_text(record.getMessage())
            record.args = None
        except (TypeError, ValueError):  # bad %-args: leave it to the formatter to report
            record.msg = mask_text(str(record.msg))
        for name, value in list(record.__dict__.items()):
            if name not in _RECORD_ATTRS:
                setattr(record, name, _mask_value(value))
        return True


class JsonFormatter(logging.Formatter):
    """Renders a record as one JSON line, with the request-scoped ids of eventkit.context."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        ctx = context.current()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
            "request_id": ctx.request_id,
            "correlation_id": ctx.correlation_id,
            "traceparent": ctx.traceparent,
        }
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRS and name not in line:
                line[name] = value
        if record.exc_info:
            line["exception"] = mask_text(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = mask_text(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(service: str, level: str | int = "INFO", *, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record of the process to stdout as masked JSON lines.

    Safe to call more than once (the previous eventkit handler is replaced). Uvicorn's own
    handlers are removed so its records go through ours; run uvicorn with `log_config=None`
    (or `--log-config` unset and `--no-access-log`) since the web layer writes its own access log.
    `stream` (default stdout) is for tests.
    """
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error"):
        uv = logging.getLogger(name)
        uv.handlers.clear()
        uv.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    # httpx logs every request at INFO (URL included): outgoing calls are logged, with what they
    # mean, by the adapter that makes them (e.g. the refund service's bank worker)
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return handler
