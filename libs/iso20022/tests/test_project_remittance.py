"""The remittance of a construction project's premium: /USCC/<credit code>/PRJ/<project code>."""

from __future__ import annotations

from iso20022 import PaymentRemittance, ProjectRemittance

CODE = "91320600MA1MXXXX0X"


def test_a_project_remittance_round_trips_and_is_not_a_fee_periods() -> None:
    text = ProjectRemittance(credit_code=CODE, project_code="NT-2020-0301").text()
    assert text == f"/USCC/{CODE}/PRJ/NT-2020-0301" and len(text) <= 140
    assert ProjectRemittance.parse(f"  {text}/ ") == ProjectRemittance(credit_code=CODE, project_code="NT-2020-0301")
    assert PaymentRemittance.parse(text) is None
    assert ProjectRemittance.parse(f"/USCC/{CODE}/PRD/2020-03/INS/work_injury") is None
    for bad in (None, "", f"/USCC/{CODE}/PRJ/nt-1", f"/USCC/{CODE}/PRJ/X", f"/USCC/{CODE[:-1]}/PRJ/NT-2020"):
        assert ProjectRemittance.parse(bad) is None
