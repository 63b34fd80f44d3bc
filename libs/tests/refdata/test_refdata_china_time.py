from datetime import UTC, datetime, timedelta, timezone

import pytest

from refdata.china_time import china_day
from refdata.errors import RefdataError


def test_the_day_changes_at_midnight_china_time_not_utc() -> None:
    assert str(china_day(datetime(2020, 6, 4, 15, 59, 59, tzinfo=UTC))) == "2020-06-04"
    assert str(china_day(datetime(2020, 6, 4, 16, 0, tzinfo=UTC))) == "2020-06-05"
    assert str(china_day(datetime(2020, 6, 5, 0, 30, tzinfo=timezone(timedelta(hours=8))))) == "2020-06-05"


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(RefdataError, match="timezone-aware"):
        china_day(datetime(2020, 6, 4, 12, 0))
