"""The XML plumbing every message shares: a strict reader that knows the path it stands on, and
a writer whose bytes depend on the input only (fixed element order, fixed indentation, UTF-8,
one declaration), so a message can be stored and re-sent byte for byte."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

from pydantic import ValidationError

from iso20022.amounts import CURRENCY, AmountFormatError, fen_to_yuan, yuan_to_fen
from iso20022.common import IsoModel, M, validation_to_error
from iso20022.errors import MessageError

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class Node:
    """One element of a parsed message, with the path that names it in errors."""

    __slots__ = ("el", "message", "ns", "path")

    def __init__(self, el: ET.Element, path: str, ns: str, message: str) -> None:
        self.el = el
        self.path = path
        self.ns = ns
        self.message = message

    def error(self, reason: str, path: str | None = None) -> MessageError:
        return MessageError(self.message, path or self.path, reason)

    def _found(self, name: str) -> list[ET.Element]:
        return self.el.findall(f"{{{self.ns}}}{name}")

    def all(self, name: str, *, at_least: int = 0) -> list[Node]:
        found = self._found(name)
        if len(found) < at_least:
            raise self.error(f"required element {name} is missing", f"{self.path}/{name}")
        return [Node(el, f"{self.path}/{name}[{i}]", self.ns, self.message) for i, el in enumerate(found, 1)]

    def opt(self, name: str) -> Node | None:
        found = self._found(name)
        if len(found) > 1:
            raise self.error(f"element appears {len(found)} times, at most once allowed", f"{self.path}/{name}")
        return Node(found[0], f"{self.path}/{name}", self.ns, self.message) if found else None

    def one(self, name: str) -> Node:
        node = self.opt(name)
        if node is None:
            raise self.error("required element is missing", f"{self.path}/{name}")
        return node

    def value(self, max_len: int = 35) -> str:
        if len(self.el):
            raise self.error("expected text, found child elements")
        text = self.el.text or ""
        if not text:
            raise self.error("element is empty")
        if len(text) > max_len:
            raise self.error(f"text is {len(text)} characters long, at most {max_len} allowed")
        if _FORBIDDEN.search(text) or "\r" in text or "\n" in text or "\t" in text:
            raise self.error("text contains a control character")
        return text

    def text(self, name: str, max_len: int = 35) -> str:
        return self.one(name).value(max_len)

    def opt_text(self, name: str, max_len: int = 35) -> str | None:
        node = self.opt(name)
        return None if node is None else node.value(max_len)

    def code(self, name: str, allowed: frozenset[str] | set[str]) -> str:
        node = self.one(name)
        value = node.value(4)
        if value not in allowed:
            raise node.error(f"code {value!r} is not one of {', '.join(sorted(allowed))}")
        return value

    def amount(self, name: str) -> int:
        node = self.one(name)
        ccy = node.el.get("Ccy")
        if ccy != CURRENCY:
            raise node.error(f"currency {ccy!r} is not {CURRENCY}")
        try:
            return yuan_to_fen(node.value(19))
        except AmountFormatError as exc:
            raise node.error(str(exc)) from None

    def amount_plain(self, name: str) -> int:
        """A DecimalNumber without currency (CtrlSum), in yuan, read as fen."""
        node = self.one(name)
        try:
            return yuan_to_fen(node.value(19))
        except AmountFormatError as exc:
            raise node.error(str(exc)) from None

    def count(self, name: str) -> int:
        node = self.one(name)
        value = node.value(15)
        if not value.isdigit() or value != str(int(value)):
            raise node.error(f"{value!r} is not a number")
        return int(value)

    def day(self, name: str) -> date:
        node = self.one(name)
        value = node.value(10)
        try:
            if len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise node.error(f"{value!r} is not a date YYYY-MM-DD") from None

    def timestamp(self, name: str) -> datetime:
        node = self.one(name)
        value = node.value(40)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise node.error(f"{value!r} is not an ISO date-time") from None
        if parsed.tzinfo is None:
            raise node.error(f"{value!r} has no time-zone offset")
        return parsed

    def flag(self, name: str) -> bool | None:
        node = self.opt(name)
        if node is None:
            return None
        value = node.value(5)
        if value not in ("true", "false"):
            raise node.error(f"{value!r} is not true or false")
        return value == "true"

    def check(self, condition: bool, reason: str, path: str | None = None) -> None:
        if not condition:
            raise self.error(reason, path)

    def model(self, cls: type[M], data: dict[str, object]) -> M:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise validation_to_error(self.message, self.path, exc, json_form=False) from None


def parse_document(data: bytes, message: str, ns: str, root: str) -> Node:
    """Parse ``data`` and return the message element (``/Document/<root>``), namespace checked."""
    if not isinstance(data, bytes | bytearray):
        raise MessageError(message, "/", "an XML message must be given as bytes")
    if _DTD.search(data):
        raise MessageError(message, "/", "document type declarations and entities are not accepted")
    try:
        doc = ET.fromstring(bytes(data))
    except ET.ParseError as exc:
        raise MessageError(message, "/", f"not well-formed XML: {exc}") from None
    if doc.tag != f"{{{ns}}}Document":
        got_ns, _, local = doc.tag[1:].partition("}") if doc.tag.startswith("{") else ("", "", doc.tag)
        if local == "Document":
            raise MessageError(message, "/Document", f"namespace {got_ns or '(none)'!r}, expected {ns!r}")
        raise MessageError(message, "/", f"root element is {local!r}, expected Document")
    top = Node(doc, "/Document", ns, message)
    node = top.one(root)
    top.check(len(doc) == 1, "Document must hold exactly one message element")
    return node


class Writer:
    """Builds one message's element tree in the message's namespace."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def root(self, name: str) -> tuple[ET.Element, ET.Element]:
        # Local names and one xmlns attribute on the root: the default namespace, without the
        # global prefix registry of ElementTree (unqualified attributes such as Ccy stay legal).
        doc = ET.Element("Document", {"xmlns": self.ns})
        return doc, self.sub(doc, name)

    def sub(self, parent: ET.Element, name: str, text: str | None = None, **attrib: str) -> ET.Element:
        el = ET.SubElement(parent, name, attrib)
        if text is not None:
            el.text = text
        return el

    def path(self, parent: ET.Element, names: str, text: str | None = None) -> ET.Element:
        """``path(p, "Dbtr/Nm", "x")`` makes the chain of single children and sets the leaf's text."""
        el = parent
        for name in names.split("/"):
            el = self.sub(el, name)
        el.text = text
        return el

    def amount(self, parent: ET.Element, name: str, fen: int) -> ET.Element:
        return self.sub(parent, name, fen_to_yuan(fen), Ccy=CURRENCY)

    def amount_plain(self, parent: ET.Element, name: str, fen: int) -> ET.Element:
        return self.sub(parent, name, fen_to_yuan(fen))

    def serialize(self, doc: ET.Element) -> bytes:
        ET.indent(doc, space="  ")
        body = ET.tostring(doc, encoding="unicode")
        return (_DECLARATION + body + "\n").encode("utf-8")


def dt_text(value: datetime) -> str:
    return value.isoformat()


def date_text(value: date) -> str:
    return value.isoformat()


__all__ = ["IsoModel", "Node", "Writer", "date_text", "dt_text", "parse_document"]
