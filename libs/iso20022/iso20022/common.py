"""Field types shared by the messages' pydantic models (their JSON form is the model's JSON).

In Python an amount is an ``int`` of fen (``amount_fen``); in the JSON form it is written as the
XML writes it, a yuan string under ``amount`` (``"1234.56"``), so that a bank sending JSON uses the
same amount format as one sending XML. A JSON number is refused, so is more than two decimals.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    ValidationInfo,
)

from iso20022.amounts import AmountFormatError, fen_to_yuan, yuan_to_fen
from iso20022.errors import MessageError

# Characters XML 1.0 cannot carry, or carries altered (CR becomes LF), or that have no place in
# an identifier, a name or remittance text: control characters, surrogates, U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def check_text(value: str) -> str:
    if _FORBIDDEN.search(value):
        raise ValueError("text contains a control character or a character XML cannot carry")
    return value


Text35 = Annotated[str, StringConstraints(min_length=1, max_length=35), AfterValidator(check_text)]
Text140 = Annotated[str, StringConstraints(min_length=1, max_length=140), AfterValidator(check_text)]
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,34}$")]
ReasonCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{4}$")]
CreditDebit = Literal["CRDT", "DBIT"]


def _fen_in(value: Any, info: ValidationInfo) -> int:
    if info.mode == "json":
        if not isinstance(value, str):
            raise ValueError('in JSON an amount is a yuan string such as "1234.56"')
        try:
            return yuan_to_fen(value)
        except AmountFormatError as exc:
            raise ValueError(str(exc)) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("amount_fen must be an int of fen")
    fen_to_yuan(value)  # range check
    return int(value)


AmountFen = Annotated[
    int,
    BeforeValidator(_fen_in),
    PlainSerializer(fen_to_yuan, return_type=str, when_used="json"),
]
PositiveFen = Annotated[AmountFen, Field(ge=1)]


class IsoModel(BaseModel):
    """Base of every message model: frozen, no unknown fields, strict types."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    def to_json(self) -> bytes:
        """The JSON form (amounts as yuan strings), keys in field order: deterministic bytes."""
        return self.model_dump_json().encode("utf-8")


M = TypeVar("M", bound=IsoModel)


class Party(IsoModel):
    """A debtor or a creditor: name and account number (``Othr/Id``, Chinese accounts have no IBAN)."""

    name: Text140
    account: AccountId


def json_path(loc: tuple[int | str, ...]) -> str:
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validation_to_error(message: str, base: str, exc: ValidationError, *, json_form: bool) -> MessageError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    path = json_path(loc) if json_form else base + (" " + json_path(loc) if loc else "")
    return MessageError(message, path, first["msg"])


def model_from_json(cls: type[M], data: bytes | str, message: str) -> M:
    try:
        return cls.model_validate_json(data)
    except ValidationError as exc:
        raise validation_to_error(message, "$", exc, json_form=True) from None
