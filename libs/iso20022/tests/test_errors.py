"""Each parser refuses what is not the platform's subset and says where: the element path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from iso20022 import CreditTransferInitiation, MessageError, Statement, camt053, camt054, pain001, pain002

_spec = importlib.util.spec_from_file_location("iso20022_tests_samples", Path(__file__).parent / "samples.py")
assert _spec is not None and _spec.loader is not None
samples = sys.modules.get(_spec.name) or importlib.util.module_from_spec(_spec)
if _spec.name not in sys.modules:
    sys.modules[_spec.name] = samples
    _spec.loader.exec_module(samples)

P001 = samples.PAIN001.to_xml()
C053 = samples.CAMT053.to_xml()
C054 = samples.CAMT054.to_xml()
P002 = samples.PAIN002.to_xml()
TX1 = "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[1]"


def _error(parse: object, data: bytes) -> MessageError:
    with pytest.raises(MessageError) as info:
        parse(data)  # type: ignore[operator]
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "path", "reason"),
    [
        (b"1234.56</InstdAmt>", b"1234.567</InstdAmt>", TX1 + "/Amt/InstdAmt", "at most 2 decimals"),
        (b"1234.56</InstdAmt>", b"-1234.56</InstdAmt>", TX1 + "/Amt/InstdAmt", "at most 2 decimals"),
        (b"1234.56</InstdAmt>", b"1.23456E3</InstdAmt>", TX1 + "/Amt/InstdAmt", "at most 2 decimals"),
        (b'Ccy="CNY">1234.56', b'Ccy="USD">1234.56', TX1 + "/Amt/InstdAmt", "currency 'USD' is not CNY"),
        (b' Ccy="CNY">1234.56', b">1234.56", TX1 + "/Amt/InstdAmt", "currency None is not CNY"),
        (b"<MsgId>RF20200310-0001</MsgId>", b"", "/Document/CstmrCdtTrfInitn/GrpHdr/MsgId", "required element is missing"),
        (b"pain.001.001.09", b"pain.001.001.03", "/Document", "expected 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09'"),
        (b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>CHK</PmtMtd>", "/Document/CstmrCdtTrfInitn/PmtInf[1]/PmtMtd", "not TRF"),
        (
            b"<NbOfTxs>2</NbOfTxs>\n      <CtrlSum>1234.61",
            b"<NbOfTxs>3</NbOfTxs>\n      <CtrlSum>1234.61",
            "/Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs",
            "NbOfTxs",
        ),
        (
            b"<CtrlSum>1234.61</CtrlSum>\n      <InitgPty>",
            b"<CtrlSum>1234.60</CtrlSum>\n      <InitgPty>",
            "/Document/CstmrCdtTrfInitn/GrpHdr/CtrlSum",
            "CtrlSum",
        ),
        (
            b"<CreDtTm>2020-03-10T09:30:00+08:00",
            b"<CreDtTm>2020-03-10T09:30:00",
            "/Document/CstmrCdtTrfInitn/GrpHdr/CreDtTm",
            "no time-zone",
        ),
        (b"<Id>6222000011112222</Id>", b"<Id>6222-0000</Id>", "/Document/CstmrCdtTrfInitn", "creditor.account"),
        (
            b"<EndToEndId>0f3c2a9e4b5d4c1e9a7b6c5d4e3f2a1b<",
            b"<EndToEndId>" + b"x" * 36 + b"<",
            TX1 + "/PmtId/EndToEndId",
            "at most 35",
        ),
        (
            b"<EndToEndId>7a1b2c3d4e5f60718293a4b5c6d7e8f9<",
            b"<EndToEndId>0f3c2a9e4b5d4c1e9a7b6c5d4e3f2a1b<",
            "/Document/CstmrCdtTrfInitn",
            "unique",
        ),
    ],
)
def test_pain001_errors_name_the_element(old: bytes, new: bytes, path: str, reason: str) -> None:
    assert old in P001
    err = _error(pain001.parse, P001.replace(old, new, 1))
    assert err.path.startswith(path), err
    assert reason in str(err)
    assert err.message == "pain.001.001.09"


def test_not_xml_and_entities_are_refused() -> None:
    assert "not well-formed" in _error(pain001.parse, b"<Document").reason
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document/>'
    assert "document type" in _error(pain001.parse, bomb).reason
    assert "expected Document" in _error(pain001.parse, b"<Foo/>").reason
    assert "bytes" in _error(pain001.parse, P001.decode()).reason


def test_a_status_report_is_not_a_credit_transfer() -> None:
    err = _error(pain001.parse, P002)
    assert err.path == "/Document" and "pain.002.001.10" in err.reason


def test_pain002_rejection_needs_a_reason() -> None:
    data = P002.replace(
        b"<StsRsnInf>\n          <Rsn>\n            <Cd>AC04</Cd>\n          </Rsn>",
        b"<StsRsnInf>\n          <Rsn>\n          </Rsn>",
    )
    err = _error(pain002.parse, data)
    assert err.path.endswith("/TxInfAndSts[2]/StsRsnInf[1]/Rsn/Cd")
    err = _error(pain002.parse, P002.replace(b"<TxSts>ACCP</TxSts>", b"<TxSts>XXXX</TxSts>"))
    assert err.path.endswith("/TxInfAndSts[1]/TxSts") and "ACSC" in err.reason


def test_camt054_entry_errors() -> None:
    err = _error(camt054.parse, C054.replace(b"<AcctSvcrRef>BK20200310000123</AcctSvcrRef>", b""))
    assert err.path == "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/AcctSvcrRef"
    err = _error(camt054.parse, C054.replace(b"<CdtDbtInd>CRDT", b"<CdtDbtInd>CRED"))
    assert err.path.endswith("Ntry[1]/CdtDbtInd")
    err = _error(camt054.parse, C054.replace(b"<Ntry>", b"<Ntry>\n<RvslInd>yes</RvslInd>"))
    assert err.path.endswith("Ntry[1]/RvslInd")


def test_camt053_balances_must_add_up() -> None:
    err = _error(
        camt053.parse, C053.replace(b"234.56</Amt>\n        <CdtDbtInd>DBIT", b"234.57</Amt>\n        <CdtDbtInd>DBIT", 1)
    )
    assert "closing balance" in err.reason
    err = _error(
        camt053.parse, C053.replace(b"<Dt>2020-03-10</Dt>\n        </BookgDt>", b"<Dt>2020-03-09</Dt>\n        </BookgDt>", 1)
    )
    assert err.path.endswith("Ntry[1]/BookgDt/Dt")


def test_json_forms_refuse_numbers_and_unknown_fields() -> None:
    good = samples.PAIN001.to_json()
    err = _error(CreditTransferInitiation.from_json, good.replace(b'"amount":"1234.56"', b'"amount":1234.56'))
    assert err.path == "$.transactions[0].amount"
    err = _error(CreditTransferInitiation.from_json, good.replace(b'"amount":"1234.56"', b'"amount":"1234.561"'))
    assert "at most 2 decimals" in err.reason
    err = _error(CreditTransferInitiation.from_json, good.replace(b'"amount":"1234.56"', b'"amount_fen":123456'))
    assert err.path.startswith("$.transactions[0]")
    err = _error(CreditTransferInitiation.from_json, good.replace(b"{", b'{"x":1,', 1))
    assert err.path == "$.x"
    err = _error(Statement.from_json, samples.CAMT053.to_json().replace(b'"amount":"234.56"', b'"amount":"234.55"'))
    assert "closing balance" in err.reason
