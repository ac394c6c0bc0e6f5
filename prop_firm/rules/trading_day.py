"""The trading day: its key, the next reset instant (DST-safe) and the marks taken at a reset."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from prop_firm.rules.state import (
    DayStartMarks,
    _require_aware,
)


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _repeated(wall: datetime) -> bool:
    """The wall time occurs twice (clocks go back): its first occurrence has the larger offset."""
    return wall.utcoffset() > wall.replace(fold=1).utcoffset()


def _skipped(wall: datetime) -> bool:
    """The wall time does not exist (clocks go forward)."""
    return wall.utcoffset() < wall.replace(fold=1).utcoffset()


def trading_day_key(instant: datetime, tz: tzinfo | str, reset_time: time) -> date:
    """The trading day an instant belongs to: its date in `tz`, plus one day when the local
    time is at or after `reset_time` (RULES "The trading day").

    Where the reset wall time falls in a repeated hour (clocks going back), the day changes
    at its first occurrence and the repeated hour already belongs to the new day, so the key
    never goes backwards; where it falls in a skipped hour, the day changes at the jump.
    """
    _require_aware("instant", instant)
    reset_time = reset_time.replace(fold=0)  # a configured wall time: PEP 495's fold is moot
    local = instant.astimezone(_zone(tz))
    day = local.date()
    if local.time() >= reset_time:
        return day + timedelta(days=1)
    if local.fold and _repeated(datetime.combine(day, reset_time, tzinfo=local.tzinfo)):
        return day + timedelta(days=1)
    return day


def next_reset_at(instant: datetime, tz: tzinfo | str, reset_time: time) -> datetime:
    """The next instant (strictly after `instant`) at which the day key changes, in UTC.

    It is `reset_time` on the date of the current day key, as a wall time in `tz`: with a
    17:00 New York reset the trading day that holds the March change lasts 23 h and the one
    that holds the November change 25 h. Returned in UTC because an aware datetime in a
    repeated wall hour never compares equal to one in another zone (PEP 495).
    """
    zone = _zone(tz)
    reset_time = reset_time.replace(fold=0)
    key = trading_day_key(instant, zone, reset_time)
    wall = datetime.combine(key, reset_time, tzinfo=zone)
    if _skipped(wall):
        return _transition(wall.replace(fold=1), wall, zone)
    return wall.astimezone(UTC)


def _transition(before: datetime, after: datetime, zone: tzinfo) -> datetime:
    """The instant (UTC) the offset of `zone` changes between two instants, to the second."""
    # Whole seconds at both ends, so that the halving below always makes progress.
    lo = before.astimezone(UTC).replace(microsecond=0)
    hi = after.astimezone(UTC)
    if hi.microsecond:
        hi = hi.replace(microsecond=0) + timedelta(seconds=1)
    offset_after = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = (lo + (hi - lo) // 2).replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == offset_after:
            hi = mid
        else:
            lo = mid
    return hi


def day_start_marks(*, balance: Decimal, equity: Decimal, eod_hwm: Decimal) -> DayStartMarks:
    """The snapshot taken at a daily reset: SOD_B = B, SOD_E = E, EOD_HWM raised to B.

    The caller passes B and E as of the reset instant (the snapshot belongs to the day key,
    not to the time the task ran).
    """
    return DayStartMarks(
        sod_balance=balance, sod_equity=equity, eod_hwm=balance if balance > eod_hwm else eod_hwm
    )
