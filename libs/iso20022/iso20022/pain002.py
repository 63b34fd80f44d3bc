"""pain.002.001.10 CustomerPaymentStatusReport: the bank's answer about a pain.001.

Statuses: ACCP (accepted, technical and customer checks passed), ACSC (settled on the debtor's
account), RJCT (rejected, with a reason code: AC01 incorrect account number, AC04 closed account,
AM04 insufficient funds, AM05 duplication, …), PDNG (pending) and, at group level, PART (some
transactions accepted, some rejected). A rejection always carries a reason code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from iso20022._xml import Node, Writer, dt_text, parse_document
from iso20022.common import IsoModel, PositiveFen, ReasonCode, Text35, Text140, model_from_json

NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
MESSAGE = "pain.002.001.10"
_ROOT = "CstmrPmtStsRpt"

TxStatus = Literal["ACCP", "ACSC", "RJCT", "PDNG"]
GroupStatus = Literal["ACCP", "ACSC", "RJCT", "PDNG", "PART"]
_TX_STATUSES = frozenset({"ACCP", "ACSC", "RJCT", "PDNG"})
_GROUP_STATUSES = _TX_STATUSES | {"PART"}

REASONS = {
    "AC01": "incorrect account number",
    "AC04": "closed account number",
    "AC06": "blocked account",
    "AM04": "insufficient funds",
    "AM05": "duplication",
    "NARR": "narrative",
}


class TransactionStatus(IsoModel):
    original_end_to_end_id: Text35
    status: TxStatus
    reason_code: ReasonCode | None = None
    reason_text: Text140 | None = None
    accepted_at: AwareDatetime | None = None  # AccptncDtTm: when the bank accepted (or settled) it
    original_amount_fen: PositiveFen | None = Field(default=None, alias="original_amount")

    @model_validator(mode="after")
    def _reason_goes_with_rejection(self) -> TransactionStatus:
        if self.status == "RJCT" and self.reason_code is None:
            raise ValueError("a rejected transaction needs a reason code")
        if self.status != "RJCT" and self.reason_code is not None:
            raise ValueError("only a rejected transaction has a reason code")
        return self


class PaymentStatusReport(IsoModel):
    message_type: Literal["pain.002.001.10"] = "pain.002.001.10"
    message_id: Text35
    created_at: AwareDatetime
    original_message_id: Text35
    original_message_type: Literal["pain.001.001.09"] = "pain.001.001.09"
    group_status: GroupStatus | None = None
    group_reason_code: ReasonCode | None = None
    original_payment_info_id: Text35
    transactions: tuple[TransactionStatus, ...] = ()

    @model_validator(mode="after")
    def _something_reported(self) -> PaymentStatusReport:
        if self.group_status is None and not self.transactions:
            raise ValueError("a status report needs a group status or at least one transaction status")
        if self.group_reason_code is not None and self.group_status != "RJCT":
            raise ValueError("only a rejected group has a reason code")
        return self

    def status_of(self, end_to_end_id: str) -> TransactionStatus | None:
        return next((t for t in self.transactions if t.original_end_to_end_id == end_to_end_id), None)

    def to_xml(self) -> bytes:
        return build(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> PaymentStatusReport:
        return model_from_json(cls, data, MESSAGE)


def build(msg: PaymentStatusReport) -> bytes:
    w = Writer(NS)
    doc, top = w.root(_ROOT)
    hdr = w.sub(top, "GrpHdr")
    w.sub(hdr, "MsgId", msg.message_id)
    w.sub(hdr, "CreDtTm", dt_text(msg.created_at))
    grp = w.sub(top, "OrgnlGrpInfAndSts")
    w.sub(grp, "OrgnlMsgId", msg.original_message_id)
    w.sub(grp, "OrgnlMsgNmId", msg.original_message_type)
    if msg.group_status is not None:
        w.sub(grp, "GrpSts", msg.group_status)
    if msg.group_reason_code is not None:
        w.path(grp, "StsRsnInf/Rsn/Cd", msg.group_reason_code)
    pmt = w.sub(top, "OrgnlPmtInfAndSts")
    w.sub(pmt, "OrgnlPmtInfId", msg.original_payment_info_id)
    for tx in msg.transactions:
        el = w.sub(pmt, "TxInfAndSts")
        w.sub(el, "OrgnlEndToEndId", tx.original_end_to_end_id)
        w.sub(el, "TxSts", tx.status)
        if tx.reason_code is not None:
            rsn = w.sub(el, "StsRsnInf")
            w.path(rsn, "Rsn/Cd", tx.reason_code)
            if tx.reason_text is not None:
                w.sub(rsn, "AddtlInf", tx.reason_text)
        if tx.accepted_at is not None:
            w.sub(el, "AccptncDtTm", dt_text(tx.accepted_at))
        if tx.original_amount_fen is not None:
            ref = w.sub(el, "OrgnlTxRef")
            w.amount(w.sub(ref, "Amt"), "InstdAmt", tx.original_amount_fen)
    return w.serialize(doc)


def parse(data: bytes) -> PaymentStatusReport:
    top = parse_document(data, MESSAGE, NS, _ROOT)
    hdr = top.one("GrpHdr")
    grp = top.one("OrgnlGrpInfAndSts")
    name = grp.text("OrgnlMsgNmId")
    grp.check(name == "pain.001.001.09", f"original message {name!r} is not pain.001.001.09", grp.path + "/OrgnlMsgNmId")
    group_status = grp.code("GrpSts", _GROUP_STATUSES) if grp.opt("GrpSts") is not None else None
    pmts = top.all("OrgnlPmtInfAndSts", at_least=1)
    top.check(len(pmts) == 1, "exactly one OrgnlPmtInfAndSts is expected", top.path + "/OrgnlPmtInfAndSts")
    pmt = pmts[0]
    txs = [_tx(node) for node in pmt.all("TxInfAndSts")]
    return top.model(
        PaymentStatusReport,
        {
            "message_id": hdr.text("MsgId"),
            "created_at": hdr.timestamp("CreDtTm"),
            "original_message_id": grp.text("OrgnlMsgId"),
            "group_status": group_status,
            "group_reason_code": _reason(grp)[0],
            "original_payment_info_id": pmt.text("OrgnlPmtInfId"),
            "transactions": tuple(txs),
        },
    )


def _reason(node: Node) -> tuple[str | None, str | None]:
    infos = node.all("StsRsnInf")
    if not infos:
        return None, None
    node.check(len(infos) == 1, "at most one StsRsnInf is expected", node.path + "/StsRsnInf")
    info = infos[0]
    return info.one("Rsn").text("Cd", 4), info.opt_text("AddtlInf", 140)


def _tx(node: Node) -> dict[str, object]:
    code, text = _reason(node)
    ref = node.opt("OrgnlTxRef")
    accepted: datetime | None = node.timestamp("AccptncDtTm") if node.opt("AccptncDtTm") is not None else None
    return {
        "original_end_to_end_id": node.text("OrgnlEndToEndId"),
        "status": node.code("TxSts", _TX_STATUSES),
        "reason_code": code,
        "reason_text": text,
        "accepted_at": accepted,
        "original_amount_fen": None if ref is None else ref.one("Amt").amount("InstdAmt"),
    }
