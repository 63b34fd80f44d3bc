"""Golden files: the exact bytes of every message (XML and JSON) for the samples, and parsing
them back gives the same model. Regenerate after a deliberate format change with
``ISO20022_UPDATE_GOLDEN=1 pytest libs/iso20022`` and review the diff."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from iso20022 import camt053, camt054, pain001, pain002

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("iso20022_tests_samples", HERE / "samples.py")
assert _spec is not None and _spec.loader is not None
samples = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = samples
_spec.loader.exec_module(samples)

MODULES: dict[str, Any] = {"pain001": pain001, "pain002": pain002, "camt054": camt054, "camt053": camt053}
UPDATE = os.environ.get("ISO20022_UPDATE_GOLDEN") == "1"


def _check(path: Path, data: bytes) -> None:
    if UPDATE:
        path.write_bytes(data)
    assert path.read_bytes() == data, f"{path.name} differs from the golden file"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_xml_bytes_are_the_golden_file(name: str) -> None:
    msg = samples.ALL[name]
    data = msg.to_xml()
    _check(HERE / "golden" / f"{name}.xml", data)
    assert MODULES[name].parse(data) == msg
    assert msg.to_xml() == data, "building twice gives the same bytes"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_json_bytes_are_the_golden_file(name: str) -> None:
    msg = samples.ALL[name]
    data = msg.to_json()
    _check(HERE / "golden" / f"{name}.json", data)
    assert type(msg).from_json(data) == msg


def test_pain001_is_deterministic_for_an_equal_model() -> None:
    """A model rebuilt from its JSON (as the platform would from its event) gives the same bytes."""
    again = type(samples.PAIN001).from_json(samples.PAIN001.to_json())
    assert again is not samples.PAIN001
    assert again.to_xml() == samples.PAIN001.to_xml()
    assert pain001.build(pain001.parse(samples.PAIN001.to_xml())) == samples.PAIN001.to_xml()


def test_samples_carry_the_fields_the_platform_needs() -> None:
    from iso20022 import PaymentRemittance

    entry = pain001.parse(samples.PAIN001.to_xml()).transactions[0]
    assert (entry.end_to_end_id, entry.amount_fen) == ("0f3c2a9e4b5d4c1e9a7b6c5d4e3f2a1b", 123456)
    note = camt054.parse(samples.CAMT054.to_xml()).entries[0]
    assert note.debtor is not None and note.debtor.account == "6222000011112222"
    assert PaymentRemittance.parse(note.remittance) == PaymentRemittance(
        credit_code="91320684MA1MXXXX07", fee_period="2020-02", insurance="pension"
    )
    report = pain002.parse(samples.PAIN002.to_xml())
    rejected = report.status_of("7a1b2c3d4e5f60718293a4b5c6d7e8f9")
    assert rejected is not None and (rejected.status, rejected.reason_code) == ("RJCT", "AC04")
    stmt = camt053.parse(samples.CAMT053.to_xml())
    assert stmt.closing_balance.signed_fen == 100_000 - 123456
    assert [e.reversal for e in stmt.entries] == [False, True, False]
