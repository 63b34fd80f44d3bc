"""The one command of the reporting service: the medical-security officer enters the fund figures
of a city for a month (职工医保统筹基金: balance at the end of last month, last month's income and
spending). An event on the month's stream, and the row written through in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.store import EventStore
from reporting.adapters import medical_fund
from reporting.domain.events import MedicalFundFiguresRecorded, medical_fund_stream


async def record(
    session: AsyncSession, store: EventStore, *, region: str, month: str, balance_fen: int, income_fen: int,
    spending_fen: int, note: str, by: str,
) -> dict[str, Any]:  # fmt: skip
    stream = medical_fund_stream(region, month)
    version = await store.version(session, stream)
    event = MedicalFundFiguresRecorded(
        region=region, month=month, balance_fen=balance_fen, income_fen=income_fen, spending_fen=spending_fen, note=note,
        recorded_by=by,
    )  # fmt: skip
    [env] = await store.append(session, stream, version, [event], subject=region)
    await medical_fund.apply(session, Message(env, event))
    row = await medical_fund.get(session, region, month)
    assert row is not None
    return row
