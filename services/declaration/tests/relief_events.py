"""relief-calc's liability events as relief-calc puts them on `relief.events`, built from plain
dicts (the tests do not import relief_calc either) and checked against the published contracts
(contracts/events/relief.Liability*.v1.json) before they are produced, so what the reader is fed
is exactly what the contract allows, extra fields included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventkit.contracts import validate_envelope
from eventkit.envelope import Envelope

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"
RELIEF_TOPIC = "relief.events"
PENSION_BASIS = {"policy": "2020-relief-phase-1", "document": "人社部发〔2020〕11号", "rule": "exempt-sme", "clause": "一"}
MEDICAL_BASIS = {"policy": "2020-medical-halving", "document": "医保发〔2020〕6号", "rule": "halve", "clause": "一"}


def relief_envelope(
    name: str,
    data: dict[str, Any],
    *,
    subject: str,
    stream_version: int | None = None,
    stream_id: str | None = None,
    version: int = 1,
    check_contract: bool = True,
) -> Envelope:
    event_id = str(uuid.uuid4())
    env = Envelope(
        id=event_id,
        source="/relief/relief-calc",
        type=f"relief.{name}.v{version}",
        subject=subject,
        time=datetime.now(UTC),
        data=data,
        dataschema=f"urn:relief:schema:{name}:v{version}",
        correlationid=event_id,
        streamid=stream_id,
        streamversion=stream_version,
    )
    if check_contract:
        validate_envelope(env, CONTRACTS)
    return env


def liability_line(insurance: str, relief: str, employer_fen: int, individual_fen: int) -> dict[str, Any]:
    """A line with relief `exempt` (the whole employer part), `halved` (half, half-up) or `none`."""
    relieved = {"exempt": employer_fen, "halved": (employer_fen + 1) // 2, "none": 0}[relief]
    basis = {"exempt": PENSION_BASIS, "halved": MEDICAL_BASIS, "none": None}[relief]
    return {
        "insurance": insurance,
        "relief": relief,
        "employer_original_fen": employer_fen,
        "employer_relief_fen": relieved,
        "employer_payable_fen": employer_fen - relieved,
        "individual_fen": individual_fen,
        "basis": basis,
    }


def liability(
    credit_code: str, fee_period: str, revision: int, lines: list[dict[str, Any]], *, status: str = "final"
) -> dict[str, Any]:
    return {
        "credit_code": credit_code,
        "fee_period": fee_period,
        "region": "320600",
        "unit_type": "enterprise",
        "status": status,
        "size_used": "large" if status == "provisional" else "small",
        "due_date": f"{fee_period}-15",
        "lines": lines,
        "employer_original_fen": sum(x["employer_original_fen"] for x in lines),
        "employer_relief_fen": sum(x["employer_relief_fen"] for x in lines),
        "employer_payable_fen": sum(x["employer_payable_fen"] for x in lines),
        "individual_fen": sum(x["individual_fen"] for x in lines),
        "inputs": {
            "declaration_id": f"{credit_code}-{fee_period}",
            "declaration_revision": revision,
            "declaration_event_id": str(uuid.uuid4()),
            "size": None if status == "provisional" else "small",
            "size_source": None if status == "provisional" else "assigned",
            "size_event_id": None if status == "provisional" else str(uuid.uuid4()),
            "policies": [{"id": "2020-relief-phase-1", "content_hash": "ab" * 32}],
        },
    }


def assessed(lia: dict[str, Any], stream_version: int = 1) -> Envelope:
    return relief_envelope(
        "relief.LiabilityAssessed",
        {"liability": lia},
        subject=lia["credit_code"],
        stream_id=f"liability-{lia['credit_code']}-{lia['fee_period']}",
        stream_version=stream_version,
    )


def reassessed(before: dict[str, Any], after: dict[str, Any], stream_version: int, reasons: tuple[str, ...]) -> Envelope:
    old = {x["insurance"]: x for x in before["lines"]}
    deltas = [
        {
            "insurance": x["insurance"],
            "relief_before": old[x["insurance"]]["relief"] if x["insurance"] in old else None,
            "relief_after": x["relief"],
            **{
                k: x[k] - old.get(x["insurance"], {}).get(k, 0)
                for k in ("employer_original_fen", "employer_relief_fen", "employer_payable_fen", "individual_fen")
            },
        }
        for x in after["lines"]
    ]
    return relief_envelope(
        "relief.LiabilityReassessed",
        {
            "liability": after,
            "reasons": list(reasons),
            "previous_status": before["status"],
            "deltas": deltas,
            "employer_payable_delta_fen": after["employer_payable_fen"] - before["employer_payable_fen"],
            "employer_relief_delta_fen": after["employer_relief_fen"] - before["employer_relief_fen"],
            "individual_delta_fen": after["individual_fen"] - before["individual_fen"],
        },
        subject=after["credit_code"],
        stream_id=f"liability-{after['credit_code']}-{after['fee_period']}",
        stream_version=stream_version,
    )


def withdrawn(lia: dict[str, Any], stream_version: int, reason: str = "declaration_voided") -> Envelope:
    return relief_envelope(
        "relief.LiabilityWithdrawn",
        {
            "credit_code": lia["credit_code"],
            "fee_period": lia["fee_period"],
            "reason": reason,
            "declaration_id": lia["inputs"]["declaration_id"],
            "declaration_revision": lia["inputs"]["declaration_revision"],
            "previous_employer_payable_fen": lia["employer_payable_fen"],
            "previous_employer_relief_fen": lia["employer_relief_fen"],
            "previous_individual_fen": lia["individual_fen"],
        },
        subject=lia["credit_code"],
        stream_id=f"liability-{lia['credit_code']}-{lia['fee_period']}",
        stream_version=stream_version,
    )
