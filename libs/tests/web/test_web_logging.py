"""JSON log lines with request ids; ID numbers and bank accounts masked everywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from eventkit import context
from eventkit.logging import configure_logging, mask_account, mask_id_number, mask_text
from eventkit.web import PAYER

ID_NUMBER = "11010519491231002X"
ACCOUNT = "6222020200001234567"


@pytest.fixture
def json_logs() -> Iterator[Any]:
    root = logging.getLogger()
    level = root.level
    out = io.StringIO()
    handler = configure_logging("webtest", "DEBUG", stream=out)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in out.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_mask_helpers() -> None:
    assert mask_account("6222020200001234") == "6222********1234"
    assert mask_id_number("110105194912310021") == "1101**********0021"
    assert mask_id_number(ID_NUMBER) == "1101**********002X"
    assert mask_text(f"id {ID_NUMBER}, card {ACCOUNT}; code 91320600MA1XXXXXX0, amount 123456") == (
        "id 1101**********002X, card 6222***********4567; code 91320600MA1XXXXXX0, amount 123456"
    )
    assert mask_text("账号6222020200001234号") == "账号6222********1234号"


def test_records_are_json_lines_with_context_and_masked(json_logs: Any) -> None:
    log = logging.getLogger("relief.test")
    with context.bind(request_id="req-9", correlation_id="corr-9"):
        log.info(
            "refund to account %s for resident %s",
            ACCOUNT,
            ID_NUMBER,
            extra={"account": ACCOUNT, "payee": {"id_number": ID_NUMBER, "names": ["x", ACCOUNT]}, "amount_fen": 1234},
        )
    [line] = json_logs()
    assert line["level"] == "INFO" and line["logger"] == "relief.test" and line["service"] == "webtest"
    assert (line["request_id"], line["correlation_id"]) == ("req-9", "corr-9")
    assert line["message"] == "refund to account 6222***********4567 for resident 1101**********002X"
    assert line["account"] == "6222***********4567"
    assert line["payee"] == {"id_number": "1101**********002X", "names": ["x", "6222***********4567"]}
    assert line["amount_fen"] == 1234
    assert "time" in line
    raw = json.dumps(line)
    assert ACCOUNT not in raw and ID_NUMBER not in raw


def test_exceptions_are_logged_masked(json_logs: Any) -> None:
    try:
        raise ValueError(f"bad account {ACCOUNT}")
    except ValueError:
        logging.getLogger("relief.test").exception("failed")
    [line] = json_logs()
    assert "ValueError" in line["exception"] and ACCOUNT not in line["exception"]


@pytest.mark.asyncio
async def test_access_log_and_error_log_carry_the_request_id(harness: Any, json_logs: Any) -> None:
    await harness.client.get("/v1/things/7", headers={**harness.token(PAYER), "X-Request-ID": "req-access"})
    await harness.client.get("/v1/explode", headers={"X-Request-ID": "req-boom"})
    lines = json_logs()
    access = [line for line in lines if line["logger"] == "eventkit.access"]
    assert access[0]["request_id"] == "req-access" and access[0]["route"] == "/v1/things/{thing_id}"
    assert access[0]["status"] == 200 and access[0]["method"] == "GET" and "duration_ms" in access[0]
    [error] = [line for line in lines if line["message"] == "unhandled error"]
    assert error["request_id"] == "req-boom" and "RuntimeError" in error["exception"]
    assert "110105199001011234" not in json.dumps(lines)
    assert access[1]["status"] == 500
