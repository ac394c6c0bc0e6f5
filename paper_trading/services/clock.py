"""The market clock as paper trading sees it: the one place to wire core's clock into.

`core.market` (being built) will expose `market_is_open(asset, now)` and
`market_session_close(asset, now)`. Until it does, the embedded default applies: the market is
open around the clock, and a DAY order lives until the next regular session close (16:00 New
York on a weekday for US equities, midnight UTC for crypto).
"""

import importlib
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_NEW_YORK = ZoneInfo("America/New_York")
_EQUITY_CLOSE = time(16, 0)
CRYPTO = "crypto"


def _core_market(name: str):
    try:
        module = importlib.import_module("core.market")
    except ImportError:
        return None
    return getattr(module, name, None)


def market_is_open(asset, now: datetime) -> bool:
    """Crypto trades around the clock; otherwise core's clock decides (open when it has none)."""
    if asset.asset_class == CRYPTO:
        return True
    is_open = _core_market("market_is_open")
    return True if is_open is None else bool(is_open(asset, now))


def session_close(asset, now: datetime) -> datetime:
    """When a DAY order placed at `now` expires: the close of the current or next session."""
    close = _core_market("market_session_close")
    if close is not None:
        return close(asset, now)
    if asset.asset_class == CRYPTO:
        return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), UTC)
    local = now.astimezone(_NEW_YORK)
    day = local.date()
    if local.time() >= _EQUITY_CLOSE:
        day += timedelta(days=1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return datetime.combine(day, _EQUITY_CLOSE, _NEW_YORK)
