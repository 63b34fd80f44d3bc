"""The public examples (../shared/examples/relief-preview.json) come out exactly, on every field they give."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relief_calc.domain.preview import preview

EXAMPLES = "relief-preview.json"


def _examples_path() -> Path:
    here = Path(__file__).resolve()
    # services/relief-calc/tests/<file> → parents[3] is the repository root; shared/ sits beside it.
    candidates = [(here.parents[3] / ".." / "shared" / "examples" / EXAMPLES).resolve()]
    candidates += [parent / "shared" / "examples" / EXAMPLES for parent in here.parents]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{EXAMPLES} not found; looked at {[str(c) for c in candidates]}")


CASES: list[dict[str, Any]] = json.loads(_examples_path().read_text(encoding="utf-8"))


def assert_matches(expected: Any, actual: Any, where: str = "response") -> None:
    """Every field the example gives is present with the same value (extra fields, e.g. trace, allowed)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            assert_matches(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{where}: expected {len(expected)} items, got {actual!r}"
        )
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            assert_matches(want, got, f"{where}[{index}]")
    else:
        assert actual == expected and type(actual) is type(expected), f"{where}: expected {expected!r}, got {actual!r}"


def test_the_examples_are_there() -> None:
    assert len(CASES) >= 7
    assert all({"name", "request", "response"} <= set(case) for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["name"][:60] for case in CASES])
def test_public_example(case: dict[str, Any]) -> None:
    assert_matches(case["response"], preview(case["request"]))


@pytest.mark.parametrize("case", [c for c in CASES if "lines" in c["response"]], ids=lambda c: c["name"][:60])
def test_example_totals_and_trace(case: dict[str, Any]) -> None:
    response = preview(case["request"])
    lines = response["lines"]
    assert response["employer_payable_fen"] == sum(line["employer_payable_fen"] for line in lines)
    assert response["employer_relief_fen"] == sum(line["employer_relief_fen"] for line in lines)
    assert response["individual_fen"] == sum(line["individual_fen"] for line in lines)
    for line in lines:
        steps = [step["step"] for step in line["trace"]]
        assert steps[0] == "rates" and steps[-1] == "amounts"
        if line["relief"] != "none":
            applied = [step for step in line["trace"] if step.get("applied")]
            assert len(applied) == 1 and applied[0]["document"] and applied[0]["clause"]


def test_preview_is_json_serialisable_and_deterministic() -> None:
    for case in CASES:
        first = json.dumps(preview(case["request"]), ensure_ascii=False, sort_keys=True)
        assert first == json.dumps(preview(json.loads(json.dumps(case["request"]))), ensure_ascii=False, sort_keys=True)
