"""camt.053.001.08 BankToCustomerStatement: the bank's statement of the bureau's account for one
day (China time), with the opening and closing booked balances and every entry booked that day.

The closing balance must equal the opening balance plus the booked credits minus the booked
debits; the builder and the parser both check it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from iso20022._xml import Node, Writer, date_text, dt_text, parse_document
from iso20022.common import AccountId, AmountFen, CreditDebit, IsoModel, Text35, model_from_json
from iso20022.entries import Entry, read_entry, write_entry

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
MESSAGE = "camt.053.001.08"
_ROOT = "BkToCstmrStmt"
CHINA = timezone(timedelta(hours=8))


class Balance(IsoModel):
    amount_fen: AmountFen = Field(alias="amount")
    credit_debit: CreditDebit

    @property
    def signed_fen(self) -> int:
        return self.amount_fen if self.credit_debit == "CRDT" else -self.amount_fen

    @classmethod
    def of(cls, signed_fen: int) -> Balance:
        return cls(amount_fen=abs(signed_fen), credit_debit="DBIT" if signed_fen < 0 else "CRDT")


class Statement(IsoModel):
    message_type: Literal["camt.053.001.08"] = "camt.053.001.08"
    message_id: Text35
    created_at: AwareDatetime
    statement_id: Text35
    statement_date: date
    account: AccountId
    opening_balance: Balance
    closing_balance: Balance
    entries: tuple[Entry, ...] = ()

    @model_validator(mode="after")
    def _balances_add_up(self) -> Statement:
        booked = sum(e.signed_fen for e in self.entries if e.status == "BOOK")
        if self.opening_balance.signed_fen + booked != self.closing_balance.signed_fen:
            raise ValueError("closing balance is not the opening balance plus the booked entries")
        if any(e.booking_date != self.statement_date for e in self.entries):
            raise ValueError("every entry must be booked on the statement date")
        return self

    def to_xml(self) -> bytes:
        return build(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> Statement:
        return model_from_json(cls, data, MESSAGE)


def build(msg: Statement) -> bytes:
    w = Writer(NS)
    doc, top = w.root(_ROOT)
    hdr = w.sub(top, "GrpHdr")
    w.sub(hdr, "MsgId", msg.message_id)
    w.sub(hdr, "CreDtTm", dt_text(msg.created_at))
    stmt = w.sub(top, "Stmt")
    w.sub(stmt, "Id", msg.statement_id)
    period = w.sub(stmt, "FrToDt")
    w.sub(period, "FrDtTm", dt_text(datetime.combine(msg.statement_date, time(0, 0, 0), CHINA)))
    w.sub(period, "ToDtTm", dt_text(datetime.combine(msg.statement_date, time(23, 59, 59), CHINA)))
    w.path(stmt, "Acct/Id/Othr/Id", msg.account)
    for code, bal in (("OPBD", msg.opening_balance), ("CLBD", msg.closing_balance)):
        el = w.sub(stmt, "Bal")
        w.path(el, "Tp/CdOrPrtry/Cd", code)
        w.amount(el, "Amt", bal.amount_fen)
        w.sub(el, "CdtDbtInd", bal.credit_debit)
        w.path(el, "Dt/Dt", date_text(msg.statement_date))
    for entry in msg.entries:
        write_entry(w, stmt, entry)
    return w.serialize(doc)


def parse(data: bytes) -> Statement:
    top = parse_document(data, MESSAGE, NS, _ROOT)
    hdr = top.one("GrpHdr")
    stmts = top.all("Stmt", at_least=1)
    top.check(len(stmts) == 1, "exactly one Stmt is expected", top.path + "/Stmt")
    stmt = stmts[0]
    period = stmt.one("FrToDt")
    start, end = period.timestamp("FrDtTm"), period.timestamp("ToDtTm")
    day = start.astimezone(CHINA).date()
    period.check(end.astimezone(CHINA).date() == day and start <= end, "a statement covers one day (China time)")
    balances: dict[str, dict[str, object]] = {}
    for bal in stmt.all("Bal", at_least=2):
        code = bal.one("Tp").one("CdOrPrtry").text("Cd", 4)
        if code not in ("OPBD", "CLBD"):
            continue  # other balance types (interim, available) are not used by the platform
        bal.check(code not in balances, f"balance {code} appears twice")
        bal.check(bal.one("Dt").day("Dt") == day, "balance date is not the statement's day", bal.path + "/Dt/Dt")
        balances[code] = {"amount_fen": bal.amount("Amt"), "credit_debit": bal.code("CdtDbtInd", {"CRDT", "DBIT"})}
    for code in ("OPBD", "CLBD"):
        stmt.check(code in balances, f"balance {code} is missing", stmt.path + "/Bal")
    entries = [(n, read_entry(n)) for n in stmt.all("Ntry")]
    for node, entry in entries:
        node.check(entry["booking_date"] == day, "entry is not booked on the statement's day", node.path + "/BookgDt/Dt")
    return _model(top, stmt, hdr, day, balances, [e for _, e in entries])


def _model(
    top: Node, stmt: Node, hdr: Node, day: date, balances: dict[str, dict[str, object]], entries: list[dict[str, object]]
) -> Statement:
    return top.model(
        Statement,
        {
            "message_id": hdr.text("MsgId"),
            "created_at": hdr.timestamp("CreDtTm"),
            "statement_id": stmt.text("Id"),
            "statement_date": day,
            "account": stmt.one("Acct").one("Id").one("Othr").text("Id", 34),
            "opening_balance": balances["OPBD"],
            "closing_balance": balances["CLBD"],
            "entries": tuple(entries),
        },
    )
