"""万元 amounts in requests: a decimal string or an integer, never a JSON float (a float cannot
say 1500.1 exactly, and a threshold decided on a rounding error is a wrong class)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,6})?$"


def _wan_yuan(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError("give 万元 amounts as a decimal string or an integer, not a float")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(_PATTERN, text):
            raise ValueError('a 万元 amount is a non-negative decimal with at most 6 decimals, e.g. "1500.25"')
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError("not a decimal number") from None
    raise ValueError("give 万元 amounts as a decimal string or an integer")


WanYuan = Annotated[
    Decimal,
    BeforeValidator(_wan_yuan),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "pattern": _PATTERN}, {"type": "integer", "minimum": 0}], "description": "万元, exact"}
    ),
]
