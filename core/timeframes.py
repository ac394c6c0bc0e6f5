"""Bar timeframes: the one list of what candles exist and how the API may name them."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from alpacabackend.api.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Timeframe:
    code: str  # stored in Candle.timeframe
    minutes: int

    @property
    def delta(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    @property
    def is_daily(self) -> bool:
        return self.minutes == 1440

    def floor(self, instant: datetime) -> datetime:
        """The start of the intraday bucket holding `instant` (buckets aligned on the epoch)."""
        seconds = self.minutes * 60
        stamp = int(instant.timestamp())
        return datetime.fromtimestamp(stamp - stamp % seconds, tz=instant.tzinfo)

    def __str__(self) -> str:
        return self.code


TIMEFRAMES = (
    Timeframe("1T", 1),
    Timeframe("5T", 5),
    Timeframe("15T", 15),
    Timeframe("30T", 30),
    Timeframe("1H", 60),
    Timeframe("4H", 240),
    Timeframe("1D", 1440),
)
BY_CODE = {tf.code: tf for tf in TIMEFRAMES}
BY_MINUTES = {tf.minutes: tf for tf in TIMEFRAMES}
ALLOWED = [str(tf.minutes) for tf in TIMEFRAMES] + [tf.code for tf in TIMEFRAMES]
MINUTE = BY_CODE["1T"]
DAY = BY_CODE["1D"]


def timeframe_parse(value) -> Timeframe:
    """`tf` as the app sends it: minutes (`1`, `60`, `1440`) or pandas-like codes (`1T`, `1H`)."""
    text = str(value).strip().upper()
    if text.isdigit() and int(text) in BY_MINUTES:
        return BY_MINUTES[int(text)]
    if text in BY_CODE:
        return BY_CODE[text]
    message = f"'{value}' is not a valid timeframe. Allowed: {', '.join(ALLOWED)}."
    raise InvalidInput(f"tf: {message}", code="INVALID_TIMEFRAME", errors={"tf": [message]})
