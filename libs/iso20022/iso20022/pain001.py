"""pain.001.001.09 CustomerCreditTransferInitiation: the platform instructs its bank to pay refunds.

Subset: one payment information block (the tax bureau's account is the debtor), one or more
credit transfers, each with the refund id as end-to-end id, an amount in CNY, the creditor's name
and account, and optional unstructured remittance text. The group header's NbOfTxs and CtrlSum
are computed on build and checked on parse.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from iso20022._xml import Node, Writer, date_text, dt_text, parse_document
from iso20022.common import AccountId, IsoModel, Party, PositiveFen, Text35, Text140, model_from_json

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
MESSAGE = "pain.001.001.09"
_ROOT = "CstmrCdtTrfInitn"


class CreditTransfer(IsoModel):
    end_to_end_id: Text35
    amount_fen: PositiveFen = Field(alias="amount")
    creditor: Party
    creditor_agent: AccountId | None = None  # the creditor's bank (CNAPS bank code), FinInstnId/Othr/Id
    remittance: Text140 | None = None


class CreditTransferInitiation(IsoModel):
    message_type: Literal["pain.001.001.09"] = "pain.001.001.09"
    message_id: Text35
    created_at: AwareDatetime
    initiating_party: Text140
    payment_info_id: Text35
    requested_execution_date: date
    debtor: Party
    debtor_agent: AccountId
    transactions: tuple[CreditTransfer, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_end_to_end_ids(self) -> CreditTransferInitiation:
        ids = [t.end_to_end_id for t in self.transactions]
        if len(set(ids)) != len(ids):
            raise ValueError("end-to-end ids must be unique within a message")
        return self

    @property
    def control_sum_fen(self) -> int:
        return sum(t.amount_fen for t in self.transactions)

    def to_xml(self) -> bytes:
        return build(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> CreditTransferInitiation:
        return model_from_json(cls, data, MESSAGE)


def build(msg: CreditTransferInitiation) -> bytes:
    """The message's XML bytes: the same model always gives the same bytes."""
    w = Writer(NS)
    doc, top = w.root(_ROOT)
    hdr = w.sub(top, "GrpHdr")
    w.sub(hdr, "MsgId", msg.message_id)
    w.sub(hdr, "CreDtTm", dt_text(msg.created_at))
    w.sub(hdr, "NbOfTxs", str(len(msg.transactions)))
    w.amount_plain(hdr, "CtrlSum", msg.control_sum_fen)
    w.path(hdr, "InitgPty/Nm", msg.initiating_party)
    pmt = w.sub(top, "PmtInf")
    w.sub(pmt, "PmtInfId", msg.payment_info_id)
    w.sub(pmt, "PmtMtd", "TRF")
    w.sub(pmt, "NbOfTxs", str(len(msg.transactions)))
    w.amount_plain(pmt, "CtrlSum", msg.control_sum_fen)
    w.path(pmt, "ReqdExctnDt/Dt", date_text(msg.requested_execution_date))
    w.path(pmt, "Dbtr/Nm", msg.debtor.name)
    w.path(pmt, "DbtrAcct/Id/Othr/Id", msg.debtor.account)
    w.path(pmt, "DbtrAgt/FinInstnId/Othr/Id", msg.debtor_agent)
    w.sub(pmt, "ChrgBr", "SLEV")
    for tx in msg.transactions:
        el = w.sub(pmt, "CdtTrfTxInf")
        w.path(el, "PmtId/EndToEndId", tx.end_to_end_id)
        amt = w.sub(el, "Amt")
        w.amount(amt, "InstdAmt", tx.amount_fen)
        if tx.creditor_agent is not None:
            w.path(el, "CdtrAgt/FinInstnId/Othr/Id", tx.creditor_agent)
        w.path(el, "Cdtr/Nm", tx.creditor.name)
        w.path(el, "CdtrAcct/Id/Othr/Id", tx.creditor.account)
        if tx.remittance is not None:
            w.path(el, "RmtInf/Ustrd", tx.remittance)
    return w.serialize(doc)


def parse(data: bytes) -> CreditTransferInitiation:
    """Parse and check a pain.001.001.09; raises :class:`MessageError` naming the element path."""
    top = parse_document(data, MESSAGE, NS, _ROOT)
    hdr = top.one("GrpHdr")
    pmts = top.all("PmtInf", at_least=1)
    top.check(len(pmts) == 1, f"{len(pmts)} PmtInf blocks, this platform sends and accepts exactly one", top.path + "/PmtInf")
    pmt = pmts[0]
    method = pmt.text("PmtMtd", 3)
    pmt.check(method == "TRF", f"payment method {method!r} is not TRF", pmt.path + "/PmtMtd")
    txs = []
    for node in pmt.all("CdtTrfTxInf", at_least=1):
        agent = node.opt("CdtrAgt")
        remittance = node.opt("RmtInf")
        txs.append(
            {
                "end_to_end_id": node.one("PmtId").text("EndToEndId"),
                "amount_fen": node.one("Amt").amount("InstdAmt"),
                "creditor": {"name": node.one("Cdtr").text("Nm", 140), "account": _account(node.one("CdtrAcct"))},
                "creditor_agent": None if agent is None else agent.one("FinInstnId").one("Othr").text("Id", 34),
                "remittance": None if remittance is None else remittance.text("Ustrd", 140),
            }
        )
    msg = top.model(
        CreditTransferInitiation,
        {
            "message_id": hdr.text("MsgId"),
            "created_at": hdr.timestamp("CreDtTm"),
            "initiating_party": hdr.one("InitgPty").text("Nm", 140),
            "payment_info_id": pmt.text("PmtInfId"),
            "requested_execution_date": pmt.one("ReqdExctnDt").day("Dt"),
            "debtor": {"name": pmt.one("Dbtr").text("Nm", 140), "account": _account(pmt.one("DbtrAcct"))},
            "debtor_agent": pmt.one("DbtrAgt").one("FinInstnId").one("Othr").text("Id", 34),
            "transactions": tuple(txs),
        },
    )
    for block in (hdr, pmt):
        block.check(
            block.count("NbOfTxs") == len(txs), f"NbOfTxs is not the number of transactions ({len(txs)})", block.path + "/NbOfTxs"
        )
        ctrl = block.opt("CtrlSum")
        if ctrl is not None:
            block.check(block.amount_plain("CtrlSum") == msg.control_sum_fen, "CtrlSum is not the sum of the amounts", ctrl.path)
    return msg


def _account(acct: Node) -> str:
    return acct.one("Id").one("Othr").text("Id", 34)
