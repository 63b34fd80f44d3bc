"""ISO 20022 messages the banks send in (camt.054, pain.002, camt.053), read as XML or, with
`Content-Type: application/json`, as their JSON form; a malformed one is a 422 naming the path."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from eventkit.web.problems import FieldError, Problem
from iso20022.errors import MessageError

M = TypeVar("M")


def parse_message(
    body: bytes,
    content_type: str,
    *,
    xml: Callable[[bytes], M],
    json: Callable[[bytes], M],
    what: str,
    what_zh: str,
    slug: str,
    whole: str = "(body)",
) -> M:
    """`what` names the message in the problem ("a camt.054 notification"), `what_zh` prefixes the
    Chinese reason ("报文有误"), `whole` is the field named when the error is about the body itself."""
    try:
        return json(body) if content_type.startswith("application/json") else xml(body)
    except MessageError as exc:
        raise Problem(
            422, f"not {what}: {exc.reason}", slug=slug, errors=[FieldError(exc.path, exc.reason, f"{what_zh}：{exc.reason}")]
        ) from None
    except ValidationError as exc:
        errors = [FieldError(".".join(map(str, e["loc"])) or whole, e["msg"], f"{what_zh}：{e['msg']}") for e in exc.errors()]
        raise Problem(422, f"not {what}", slug=slug, errors=errors) from None
