"""The account entry camt.054 and camt.053 share (ReportEntry10), and the remittance text that
carries what a payer's payment is for.

An entry is one booking on the bureau's account: its bank reference (``AcctSvcrRef``, unique per
booking, the key the platform deduplicates on), amount, credit or debit, whether it is a reversal
(``RvslInd``: a debit with ``reversal=True`` reverses an earlier credit), booking and value dates,
a bank transaction code (domain/family/sub-family), and one transaction detail: end-to-end id,
the reversed entry's bank reference (``TxDtls/Refs/AcctSvcrRef``, reversals only), the debtor
and creditor and the remittance text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from iso20022._xml import Node, Writer, date_text
from iso20022.common import CreditDebit, IsoModel, Party, PositiveFen, Text35, Text140

_CREDIT_DEBIT = frozenset({"CRDT", "DBIT"})
_ENTRY_STATUS = frozenset({"BOOK", "PDNG"})
BankTxCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{4}/[A-Z]{4}/[A-Z]{4}$")]
INSURANCES = frozenset({"pension", "unemployment", "work_injury", "medical", "maternity"})


class Entry(IsoModel):
    bank_reference: Text35
    amount_fen: PositiveFen = Field(alias="amount")
    credit_debit: CreditDebit
    reversal: bool = False
    status: Literal["BOOK", "PDNG"] = "BOOK"
    booking_date: date
    value_date: date
    bank_transaction_code: BankTxCode = "PMNT/RCDT/ESCT"
    end_to_end_id: Text35
    original_bank_reference: Text35 | None = None
    debtor: Party | None = None
    creditor: Party | None = None
    remittance: Text140 | None = None

    @model_validator(mode="after")
    def _reversal_names_its_original(self) -> Entry:
        if self.original_bank_reference is not None and not self.reversal:
            raise ValueError("only a reversal names an original bank reference")
        return self

    @property
    def signed_fen(self) -> int:
        """Credits positive, debits negative."""
        return self.amount_fen if self.credit_debit == "CRDT" else -self.amount_fen


def write_entry(w: Writer, parent: ET.Element, e: Entry) -> None:
    el = w.sub(parent, "Ntry")
    w.amount(el, "Amt", e.amount_fen)
    w.sub(el, "CdtDbtInd", e.credit_debit)
    if e.reversal:
        w.sub(el, "RvslInd", "true")
    w.path(el, "Sts/Cd", e.status)
    w.path(el, "BookgDt/Dt", date_text(e.booking_date))
    w.path(el, "ValDt/Dt", date_text(e.value_date))
    w.sub(el, "AcctSvcrRef", e.bank_reference)
    domain, family, sub = e.bank_transaction_code.split("/")
    dom = w.path(el, "BkTxCd/Domn")
    w.sub(dom, "Cd", domain)
    fmly = w.sub(dom, "Fmly")
    w.sub(fmly, "Cd", family)
    w.sub(fmly, "SubFmlyCd", sub)
    tx = w.path(el, "NtryDtls/TxDtls")
    refs = w.sub(tx, "Refs")
    if e.original_bank_reference is not None:
        w.sub(refs, "AcctSvcrRef", e.original_bank_reference)
    w.sub(refs, "EndToEndId", e.end_to_end_id)
    if e.debtor is not None or e.creditor is not None:
        parties = w.sub(tx, "RltdPties")
        if e.debtor is not None:
            w.path(parties, "Dbtr/Pty/Nm", e.debtor.name)
            w.path(parties, "DbtrAcct/Id/Othr/Id", e.debtor.account)
        if e.creditor is not None:
            w.path(parties, "Cdtr/Pty/Nm", e.creditor.name)
            w.path(parties, "CdtrAcct/Id/Othr/Id", e.creditor.account)
    if e.remittance is not None:
        w.path(tx, "RmtInf/Ustrd", e.remittance)


def read_entry(node: Node) -> dict[str, object]:
    reversal = node.flag("RvslInd")
    dom = node.one("BkTxCd").one("Domn")
    fmly = dom.one("Fmly")
    details = node.one("NtryDtls").all("TxDtls", at_least=1)
    node.check(len(details) == 1, "exactly one TxDtls per entry is expected", node.path + "/NtryDtls/TxDtls")
    tx = details[0]
    refs = tx.one("Refs")
    parties = tx.opt("RltdPties")
    remittance = tx.opt("RmtInf")
    return {
        "bank_reference": node.text("AcctSvcrRef"),
        "amount_fen": node.amount("Amt"),
        "credit_debit": node.code("CdtDbtInd", _CREDIT_DEBIT),
        "reversal": bool(reversal),
        "status": node.one("Sts").code("Cd", _ENTRY_STATUS),
        "booking_date": node.one("BookgDt").day("Dt"),
        "value_date": node.one("ValDt").day("Dt"),
        "bank_transaction_code": f"{dom.text('Cd', 4)}/{fmly.text('Cd', 4)}/{fmly.text('SubFmlyCd', 4)}",
        "end_to_end_id": refs.text("EndToEndId"),
        "original_bank_reference": refs.opt_text("AcctSvcrRef"),
        "debtor": None if parties is None else _party(parties, "Dbtr", "DbtrAcct"),
        "creditor": None if parties is None else _party(parties, "Cdtr", "CdtrAcct"),
        "remittance": None if remittance is None else remittance.text("Ustrd", 140),
    }


def _party(parties: Node, role: str, account: str) -> dict[str, str] | None:
    who = parties.opt(role)
    acct = parties.opt(account)
    if who is None and acct is None:
        return None
    if who is None or acct is None:
        raise parties.error(f"{role} and {account} go together", f"{parties.path}/{role if who is None else account}")
    return {"name": who.one("Pty").text("Nm", 140), "account": acct.one("Id").one("Othr").text("Id", 34)}


_REMITTANCE = re.compile(r"/USCC/(?P<code>[0-9A-HJ-NPQRTUWXY]{18})/PRD/(?P<period>\d{4}-(0[1-9]|1[0-2]))/INS/(?P<ins>[a-z_]+)/?")


class PaymentRemittance(IsoModel):
    """What a payer's payment is for, carried in ``RmtInf/Ustrd`` as
    ``/USCC/<统一社会信用代码>/PRD/<YYYY-MM>/INS/<insurance>``."""

    credit_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")]
    fee_period: Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    insurance: Literal["pension", "unemployment", "work_injury", "medical", "maternity"]

    def text(self) -> str:
        return f"/USCC/{self.credit_code}/PRD/{self.fee_period}/INS/{self.insurance}"

    @classmethod
    def parse(cls, text: str | None) -> PaymentRemittance | None:
        """The remittance's fields, or ``None`` when the text does not follow the format (a payment
        the platform cannot attribute is parked for an officer, not refused by the parser)."""
        if text is None:
            return None
        m = _REMITTANCE.fullmatch(text.strip())
        if m is None or m["ins"] not in INSURANCES:
            return None
        return cls(credit_code=m["code"], fee_period=m["period"], insurance=m["ins"])  # type: ignore[arg-type]


_PROJECT_REMITTANCE = re.compile(r"/USCC/(?P<code>[0-9A-HJ-NPQRTUWXY]{18})/PRJ/(?P<project>[0-9A-Z][0-9A-Z-]{2,29})/?")


class ProjectRemittance(IsoModel):
    """What a general contractor's payment of a construction project's lump-sum work-injury premium
    (工程建设项目按项目参保) is for, carried in ``RmtInf/Ustrd`` as
    ``/USCC/<统一社会信用代码>/PRJ/<项目编号>`` (at most 6 + 18 + 5 + 30 = 59 characters)."""

    credit_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")]
    project_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z][0-9A-Z-]{2,29}$")]

    def text(self) -> str:
        return f"/USCC/{self.credit_code}/PRJ/{self.project_code}"

    @classmethod
    def parse(cls, text: str | None) -> ProjectRemittance | None:
        """The remittance's fields, or ``None`` when the text does not follow the format."""
        if text is None:
            return None
        m = _PROJECT_REMITTANCE.fullmatch(text.strip())
        if m is None:
            return None
        return cls(credit_code=m["code"], project_code=m["project"])
