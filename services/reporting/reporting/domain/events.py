"""The events the reporting service writes (topic ``reporting.events``).

The reporting service derives everything else from the other services' topics; the only facts it
owns are those a person enters for a report: the medical-security officer's fund figures of a
pooling region (统筹区) for a month (基金累计结存, 上月基金收入, 上月基金支出), which the
职工医保阶段性减征医保费统计表 prints beside the relief. Stream ``medical-fund-<region>-<YYYY-MM>``,
subject (Kafka key) the region code. Amounts in fen; a later entry for the same month replaces
the earlier one (the report shows the latest, the stream keeps every entry).
"""

from __future__ import annotations

from pydantic import Field

from eventkit.events import Event, EventRegistry

REGION_PATTERN = r"^\d{6}$"
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class MedicalFundFiguresRecorded(Event):
    """医保统筹基金: the fund's figures for the form of one city and month, as the officer entered them."""

    name = "reporting.MedicalFundFiguresRecorded"
    region: str = Field(pattern=REGION_PATTERN)
    month: str = Field(pattern=PERIOD_PATTERN)  # the report's month (YYYY-MM)
    balance_fen: int  # 上月末统筹基金累计结存
    income_fen: int = Field(ge=0)  # 上月统筹基金收入
    spending_fen: int = Field(ge=0)  # 上月统筹基金支出
    note: str = ""
    recorded_by: str


def medical_fund_stream(region: str, month: str) -> str:
    return f"medical-fund-{region}-{month}"


registry = EventRegistry(MedicalFundFiguresRecorded)
