"""camt.054.001.08 BankToCustomerDebitCreditNotification: the bank tells the platform that money
arrived on (or left, or was reversed on) the bureau's account, one entry per booking.

A payer's payment is a CRDT entry whose debtor is the payer and whose remittance text is a
:class:`~iso20022.entries.PaymentRemittance`; its reversal is a DBIT entry with ``reversal=True``
naming the reversed entry's bank reference in ``original_bank_reference``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from iso20022._xml import Writer, dt_text, parse_document
from iso20022.common import AccountId, IsoModel, Text35, model_from_json
from iso20022.entries import Entry, read_entry, write_entry

NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
MESSAGE = "camt.054.001.08"
_ROOT = "BkToCstmrDbtCdtNtfctn"


class DebitCreditNotification(IsoModel):
    message_type: Literal["camt.054.001.08"] = "camt.054.001.08"
    message_id: Text35
    created_at: AwareDatetime
    notification_id: Text35
    account: AccountId
    entries: tuple[Entry, ...] = Field(min_length=1)

    def to_xml(self) -> bytes:
        return build(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> DebitCreditNotification:
        return model_from_json(cls, data, MESSAGE)


def build(msg: DebitCreditNotification) -> bytes:
    w = Writer(NS)
    doc, top = w.root(_ROOT)
    hdr = w.sub(top, "GrpHdr")
    w.sub(hdr, "MsgId", msg.message_id)
    w.sub(hdr, "CreDtTm", dt_text(msg.created_at))
    ntf = w.sub(top, "Ntfctn")
    w.sub(ntf, "Id", msg.notification_id)
    w.path(ntf, "Acct/Id/Othr/Id", msg.account)
    for entry in msg.entries:
        write_entry(w, ntf, entry)
    return w.serialize(doc)


def parse(data: bytes) -> DebitCreditNotification:
    top = parse_document(data, MESSAGE, NS, _ROOT)
    hdr = top.one("GrpHdr")
    notes = top.all("Ntfctn", at_least=1)
    top.check(len(notes) == 1, "exactly one Ntfctn is expected", top.path + "/Ntfctn")
    ntf = notes[0]
    return top.model(
        DebitCreditNotification,
        {
            "message_id": hdr.text("MsgId"),
            "created_at": hdr.timestamp("CreDtTm"),
            "notification_id": ntf.text("Id"),
            "account": ntf.one("Acct").one("Id").one("Othr").text("Id", 34),
            "entries": tuple(read_entry(n) for n in ntf.all("Ntry", at_least=1)),
        },
    )
