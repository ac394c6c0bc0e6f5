"""The one trading-day clock (RULES "The trading day"): settings in, day keys out."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from prop_firm import rules


def trading_day_zone() -> ZoneInfo:
    return ZoneInfo(settings.PROP_TRADING_DAY_TZ)


def reset_time() -> time:
    return time.fromisoformat(settings.PROP_TRADING_DAY_RESET)


def day_key(instant: datetime) -> date:
    return rules.trading_day_key(instant, trading_day_zone(), reset_time())


def next_reset_at(instant: datetime) -> datetime:
    return rules.next_reset_at(instant, trading_day_zone(), reset_time())


def day_started_at(key: date) -> datetime:
    """The instant the trading day `key` began: the reset on the eve of `key`."""
    return rules.next_reset_at(
        datetime.combine(key - timedelta(days=1), time(0), tzinfo=trading_day_zone()),
        trading_day_zone(),
        reset_time(),
    )
