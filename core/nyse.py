"""The NYSE calendar (regular sessions, holidays, early closes) from exchange-calendars:
offline, loaded once per process and kept as sorted lists for bisect."""

import bisect
import warnings
from datetime import UTC, date, datetime
from functools import lru_cache

CALENDAR_START = "2015-01-02"


@lru_cache(maxsize=1)
def nyse_schedule() -> tuple[list[date], list[datetime], list[datetime]]:
    """(session dates, opens, closes), opens and closes as aware UTC datetimes. The calendar
    reaches about a year past the day the process started."""
    import exchange_calendars

    with warnings.catch_warnings():  # pandas deprecations inside exchange-calendars
        warnings.simplefilter("ignore")
        schedule = exchange_calendars.get_calendar("XNYS", start=CALENDAR_START).schedule
    days = [label.date() for label in schedule.index]
    opens = [stamp.to_pydatetime().astimezone(UTC) for stamp in schedule["open"]]
    closes = [stamp.to_pydatetime().astimezone(UTC) for stamp in schedule["close"]]
    return days, opens, closes


def nyse_is_open(instant: datetime) -> bool:
    _, opens, closes = nyse_schedule()
    index = bisect.bisect_right(opens, instant) - 1
    return index >= 0 and instant < closes[index]


def nyse_next_close(instant: datetime) -> datetime:
    """The close of the session in progress at `instant`, else of the next session."""
    _, _, closes = nyse_schedule()
    index = bisect.bisect_right(closes, instant)
    return closes[min(index, len(closes) - 1)]


def nyse_next_open(instant: datetime) -> datetime:
    _, opens, _ = nyse_schedule()
    index = bisect.bisect_right(opens, instant)
    return opens[min(index, len(opens) - 1)]
