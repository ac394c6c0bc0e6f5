"""Candles are read through the database: a range not stored yet is fetched once from the
provider and stored; the bar still forming is computed live and never stored.

Invariants:
- a stored Candle is complete (its interval ended before it was fetched);
- a CandleRange [start, end) means every completed bar starting in it is stored, so a span
  where the market was closed is not asked for again;
- every range is half-open, [start, end): a bar belongs to it when start <= bar start < end,
  whether it is fetched, covered or read (the API's `start`/`end` included), so a request's
  answer never depends on what neighbouring requests stored;
- the provider is called before the transaction; if it fails nothing is written;
- ranges that touch are merged (`_cover`), so a stored span with no gap lies inside one range:
  one range holding a window is how a page knows, in the query that reads it, that the window
  is complete (`_stored_page`). Ranges written some other way only cost the slow path.
"""

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from alpacabackend.api.errors import InvalidInput, ServiceUnavailable
from alpacabackend.db import PreparedQuery
from core.models import Asset, Candle, CandleRange
from core.providers import get_provider
from core.providers.base import Bar
from core.services.quotes import LIVE_QUOTE_AGE, quote_latest
from core.timeframes import Timeframe

logger = logging.getLogger(__name__)

HISTORY_START = datetime(2016, 1, 1, tzinfo=UTC)  # Alpaca's market data starts in 2016
MAX_WINDOW_BARS = 50_000
# Bars one request may fetch from the provider and store (about a second of work): a page
# of the largest size fits, a jump deep into history is loaded over a few requests.
FETCH_BUDGET_BARS = 6_000
RETRY_AFTER_SECONDS = 1


class FetchBudget:
    """How many more bars this request may fetch and store."""

    def __init__(self, bars: int = FETCH_BUDGET_BARS) -> None:
        self.left = bars

    @property
    def spent(self) -> bool:
        return self.left <= 0


LIVE_BARS_CACHE_SECONDS = 5  # for providers whose bars cost a request (Alpaca)


def complete_before(timeframe: Timeframe, now: datetime) -> datetime:
    """Every bar starting before this instant had ended by `now`, whatever the provider's bucket
    alignment (t < result <= now - tf). Rounded down to the minute (the hour for daily bars) so
    polls within the same minute find nothing new to fetch."""
    edge = now - timeframe.delta
    if timeframe.is_daily:
        return edge.replace(minute=0, second=0, microsecond=0)
    return edge.replace(second=0, microsecond=0)


def _gaps(covered: list[tuple[datetime, datetime]], start: datetime, end: datetime):
    """The parts of [start, end) that no covered range holds."""
    gaps, cursor = [], start
    for lo, hi in sorted(covered):
        if hi <= cursor:
            continue
        if lo >= end:
            break
        if lo > cursor:
            gaps.append((cursor, lo))
        cursor = max(cursor, hi)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def candles_fetch(
    *,
    asset: Asset,
    timeframe: Timeframe,
    start: datetime,
    end: datetime,
    provider=None,
    budget: FetchBudget | None = None,
) -> int:
    """Makes sure every completed bar of [start, end) is stored; returns how many were added.

    With a `budget`, the newest gaps are fetched first and no more bars than it has left:
    a gap too long for it is fetched from its newest end, and only what was fetched is
    covered (the rest stays a gap for the next request). `budget.spent` then tells the
    caller the range is not complete yet."""
    provider = provider or get_provider()
    end = min(end, complete_before(timeframe, timezone.now()))  # later bars may be forming
    start = max(start, HISTORY_START)
    if start >= end:
        return 0
    covered = list(
        CandleRange.objects.filter(
            asset=asset, timeframe=timeframe.code, start__lt=end, end__gt=start
        ).values_list("start", "end")
    )
    gaps = _gaps(covered, start, end)
    if not gaps:
        return 0
    fetched: list[Bar] = []
    done: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(gaps, reverse=True):  # network first, outside any transaction
        if budget is not None and budget.spent:
            break
        if budget is not None:
            lo = max(lo, hi - _lookback(provider, asset.symbol, timeframe, budget.left))
        bars = [
            bar
            for bar in provider.get_bars(asset.symbol, timeframe=timeframe, start=lo, end=hi)
            if lo <= bar.timestamp < hi
        ]
        if budget is not None:
            if len(bars) > budget.left:
                bars = sorted(bars, key=lambda bar: bar.timestamp)[-budget.left :]
                lo = bars[0].timestamp  # covered from the oldest bar kept
            budget.left -= max(len(bars), 1)
        fetched += bars
        done.append((lo, hi))
    if not done:
        return 0
    gaps = done
    with transaction.atomic():
        Asset.objects.select_for_update().filter(pk=asset.pk).first()  # serialises merges
        created = Candle.objects.bulk_create(
            [
                Candle(
                    asset=asset,
                    timeframe=timeframe.code,
                    timestamp=bar.timestamp,
                    open=bar.open,
                    high=bar.high,
                    low=bar.low,
                    close=bar.close,
                    volume=bar.volume,
                    trade_count=bar.trade_count,
                    vwap=bar.vwap,
                )
                for bar in fetched
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        _cover(asset, timeframe, gaps)
    return len(created)


def _cover(asset: Asset, timeframe: Timeframe, spans) -> None:
    """Adds spans to the asset's covered ranges, merging those that touch."""
    lo = min(s for s, _ in spans)
    hi = max(e for _, e in spans)
    touching = CandleRange.objects.filter(
        asset=asset, timeframe=timeframe.code, start__lte=hi, end__gte=lo
    )
    merged = sorted([*spans, *touching.values_list("start", "end")])
    touching.delete()
    result: list[list[datetime]] = []
    for s, e in merged:
        if result and s <= result[-1][1]:
            result[-1][1] = max(result[-1][1], e)
        else:
            result.append([s, e])
    CandleRange.objects.bulk_create(
        [CandleRange(asset=asset, timeframe=timeframe.code, start=s, end=e) for s, e in result]
    )


def candles_live(
    *, asset: Asset, timeframe: Timeframe, since: datetime, provider=None
) -> list[Bar]:
    """The bars not stored yet (starting at `since` or later), newest first. The newest one
    may still be forming: the latest quote is laid over it (close = last price), so a client
    polling the newest bar sees the live price. Empty when the market is shut."""
    provider = provider or get_provider()
    # The simulated market prices for free: always quote *now*, so the bar and the quote agree.
    max_age = 0 if provider.name == "simulated" else LIVE_QUOTE_AGE
    quote = quote_latest(symbol=asset.symbol, max_age=max_age)
    fresh = quote is not None and quote.is_fresh()
    anchor = quote.timestamp if fresh else timezone.now()
    key = f"core:live-bars:{asset.pk}:{timeframe.code}:{since.isoformat()}"
    bars = cache.get(key) if provider.name != "simulated" else None
    if bars is None:
        bars = provider.get_bars(asset.symbol, timeframe=timeframe, start=since, end=anchor)
        if provider.name != "simulated":
            cache.set(key, bars, timeout=LIVE_BARS_CACHE_SECONDS)
    bars = [bar for bar in bars if bar.timestamp >= since]
    if fresh and bars and quote.timestamp >= bars[-1].timestamp:
        newest = bars[-1]
        bars[-1] = replace(
            newest,
            high=max(newest.high, quote.last),
            low=min(newest.low, quote.last),
            close=quote.last,
        )
    elif fresh and not bars and not timeframe.is_daily and quote.timestamp >= since:
        price = quote.last
        bars = [Bar(timeframe.floor(quote.timestamp), price, price, price, price, Decimal(0))]
    return bars[::-1]


class CandleWindow:
    """The page source for newest-first candles: the live bars (not stored, newest first)
    followed by the stored bars of the window, sliced lazily so only one page is read."""

    def __init__(
        self,
        queryset: QuerySet | Callable[[], QuerySet],
        head: list[Bar],
        stored: int | None = None,
        rows: list[Candle] | None = None,
        rows_from: int = 0,
    ):
        # The stored bars' queryset, or what builds it on first use: a page within `rows`
        # never needs it (building it is a tenth of a chart poll's time).
        self._queryset = queryset
        self.head = head
        # `stored`: the window's stored bars when the caller has just counted them.
        self._count = None if stored is None else stored + len(head)
        # `rows`: stored bars number rows_from, rows_from + 1, ... read with that count; a
        # slice within them costs no query.
        self.rows = rows
        self.rows_from = rows_from

    @functools.cached_property
    def queryset(self) -> QuerySet:
        return self._queryset() if callable(self._queryset) else self._queryset

    def count(self) -> int:
        if self._count is None:
            self._count = self.queryset.count() + len(self.head)
        return self._count

    __len__ = count

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item : item + 1][0]
        start = item.start or 0
        stop = item.stop if item.stop is not None else self.count()
        size = len(self.head)
        head = self.head[start:stop]
        return head + self._stored(max(start - size, 0), max(stop - size, 0))

    def _stored(self, start: int, stop: int) -> list:
        if self.rows is not None and self._count is not None:
            stop = min(stop, self._count - len(self.head))  # no stored bar lies beyond
            if self.rows_from <= start and stop <= self.rows_from + len(self.rows):
                return self.rows[start - self.rows_from : stop - self.rows_from]
        return list(self.queryset[start:stop])


# Bars the live head may hold: those starting in [complete_before(now), now], a span shorter
# than two bars. The stored page is read from this many bars early so the head's length need
# not be known before the read (a longer head costs one more query, never a wrong page).
_HEAD_BARS = 2


@dataclass(frozen=True)
class _StoredPage:
    # Builds the window's stored bars, newest first, for a slice beyond `rows`.
    queryset: Callable[[], QuerySet]
    rows: list[Candle]  # stored bars number rows_from, rows_from + 1, ...
    rows_from: int
    stored: int  # the window's stored bars
    covered: bool  # no bar of the window is missing from the store


_PAGE_SAMPLES = {
    "asset_id": -950_001,
    "timeframe": "(timeframe)",
    "start": datetime(1901, 1, 1, 0, 0, 1, tzinfo=UTC),
    "before": datetime(1901, 1, 1, 0, 0, 2, tzinfo=UTC),
    "covers": datetime(1901, 1, 1, 0, 0, 3, tzinfo=UTC),
}


@functools.lru_cache(maxsize=128)
def _stored_page_read(first: int, stop: int, with_range: bool) -> PreparedQuery:
    """The statement of `_stored_page` for rows `first` to `stop` (its LIMIT and OFFSET),
    with or without the coverage test, built once: a chart polls it every few seconds."""

    def build(asset_id, timeframe, start, before, covers=None):
        stored_before = Candle.objects.filter(
            asset_id=asset_id, timeframe=timeframe, timestamp__lt=before
        )
        window = _window_queryset(asset_id, timeframe, start, before)
        # A subquery, not COUNT(*) OVER (): it is computed once, and the page is still read
        # with the index and LIMIT instead of every row of the window being sorted and held.
        count = Subquery(window.order_by().values("asset").annotate(n=Count("pk")).values("n"))
        rows = stored_before.annotate(window_stored=Coalesce(count, 0))
        if with_range:
            one_range = CandleRange.objects.filter(
                asset_id=asset_id, timeframe=timeframe, start__lte=covers, end__gte=before
            )
            rows = rows.annotate(window_covered=Exists(one_range))
        return rows.order_by("-timestamp")[first:stop]

    names = ["asset_id", "timeframe", "start", "before", *(["covers"] if with_range else [])]
    return PreparedQuery(build, **{name: _PAGE_SAMPLES[name] for name in names})


def _stored_page(
    *, asset: Asset, timeframe: Timeframe, start: datetime, before: datetime, offset: int, bars: int
) -> _StoredPage | None:
    """One query for a page of the stored bars of [start, before): the rows that may fall on
    the page (stored bars number max(offset - _HEAD_BARS, 0) to `bars`), the window's count
    of stored bars, and whether one covered range holds the window (so no bar of it is
    missing). The rows are read newest first from `before` with no lower bound: the window's
    bars come first, and an older bar, when the window has none on the page, still brings
    the count and the coverage. None when no row came back: nothing carried them."""
    first = max(offset - _HEAD_BARS, 0)
    covers = max(start, HISTORY_START)  # `candles_fetch` asks for nothing older
    values = {"asset_id": asset.pk, "timeframe": timeframe.code, "start": start, "before": before}
    if covers < before:
        values["covers"] = covers
    # At least one row, to carry the count and the coverage.
    read = _stored_page_read(first, max(bars, first + 1), covers < before)
    rows = read(**values)
    if not rows:
        return None
    stored = rows[0].window_stored
    return _StoredPage(
        queryset=functools.partial(_window_queryset, asset, timeframe.code, start, before),
        rows=rows[: max(stored - first, 0)],  # those older than `start` are not the window's
        rows_from=first,
        stored=stored,
        covered=covers >= before or rows[0].window_covered,
    )


def _require_loaded(budget: FetchBudget, asset, timeframe: Timeframe, start, end) -> None:
    """Raises CANDLES_LOADING (503, Retry-After) when this request's fetch budget ran out
    before [start, end) was stored: the bars fetched so far are kept, and the next request
    goes on from there. A jump deep into history costs a few requests, never one long one."""
    if not budget.spent:
        return
    edge = min(end, complete_before(timeframe, timezone.now()))
    covered = CandleRange.objects.filter(
        asset=asset, timeframe=timeframe.code, start__lt=edge, end__gt=max(start, HISTORY_START)
    ).values_list("start", "end")
    if not _gaps(list(covered), max(start, HISTORY_START), edge):
        return
    loading = ServiceUnavailable(
        "These bars are still being loaded from the market-data provider. Retry shortly.",
        code="CANDLES_LOADING",
    )
    loading.retry_after = RETRY_AFTER_SECONDS
    raise loading


def _lookback(provider, symbol: str, timeframe: Timeframe, bars: int) -> timedelta:
    """How far back `bars` bars reach: exact for markets open around the clock, a generous
    estimate (weekends, holidays, 6.5-hour sessions) for the NYSE."""
    if provider.is_continuous(symbol):
        return timeframe.delta * bars
    if timeframe.is_daily:
        return timedelta(days=math.ceil(bars * 7 / 5) + 10)
    per_session = math.ceil(390 / timeframe.minutes)
    sessions = math.ceil(bars / per_session)
    return timedelta(days=math.ceil(sessions * 7 / 5) + 4)


def candles_window(
    *,
    asset: Asset,
    timeframe: Timeframe,
    bars: int,
    offset: int = 0,
    start: datetime | None = None,
    end: datetime | None = None,
    provider=None,
) -> CandleWindow:
    """Bars starting in [start, end), newest first, for a page of bars number `offset` to
    `bars` (offset + limit). Without `start`, the window reaches back far enough to hold
    `bars` + 1 bars (so the page knows whether older bars exist), growing in a few steps down
    to HISTORY_START. Without `end` (or with one in the future) the forming bar leads the list.

    A window already stored is answered from one query (`_stored_page`); otherwise its gaps
    are fetched and stored first, within this request's FetchBudget."""
    provider = provider or get_provider()
    budget = FetchBudget()
    now = timezone.now()
    live = end is None or end >= complete_before(timeframe, now)
    asked_end = end
    end = min(end or now, now)
    edge = complete_before(timeframe, now)
    if start is not None:
        if start >= end:
            raise InvalidInput(
                "start: must be before end (and not in the future).",
                code="INVALID_RANGE",
                errors={"start": ["Must be before end (and not in the future)."]},
            )
        if (end - start) / timeframe.delta > MAX_WINDOW_BARS:
            message = (
                f"The range holds more than {MAX_WINDOW_BARS} bars of {timeframe.code}; "
                "narrow it or pick a longer timeframe."
            )
            raise InvalidInput(message, code="RANGE_TOO_LONG", errors={"start": [message]})
        window_start = start
    else:
        if bars > MAX_WINDOW_BARS:
            message = f"offset + limit may not exceed {MAX_WINDOW_BARS}."
            raise InvalidInput(message, code="RANGE_TOO_LONG", errors={"offset": [message]})
        # + 2: the live bar is not stored, and one older bar tells the page `next` exists.
        span = _lookback(provider, asset.symbol, timeframe, bars + 2)
        window_start = max(end - span, HISTORY_START)

    before = edge if live else end  # the bars from `edge` on are the live head's
    page = _stored_page(
        asset=asset,
        timeframe=timeframe,
        start=window_start,
        before=before,
        offset=offset,
        bars=bars,
    )
    # The lookback's first step is the window when it holds the page or reaches
    # HISTORY_START; the slow path below would stop there too, having fetched nothing.
    if (
        page is not None
        and page.covered
        and (start is not None or page.stored >= bars or window_start <= HISTORY_START)
    ):
        head = _head(asset, timeframe, edge if live else None, asked_end, provider)
        return CandleWindow(
            page.queryset, head, stored=page.stored, rows=page.rows, rows_from=page.rows_from
        )

    if start is not None:
        candles_fetch(
            asset=asset, timeframe=timeframe, start=start, end=end, provider=provider, budget=budget
        )
        _require_loaded(budget, asset, timeframe, start, end)
    stored = None
    if start is None:
        for _ in range(4):
            start = max(end - span, HISTORY_START)
            candles_fetch(
                asset=asset,
                timeframe=timeframe,
                start=start,
                end=end,
                provider=provider,
                budget=budget,
            )
            stored = Candle.objects.filter(
                asset=asset, timeframe=timeframe.code, timestamp__gte=start, timestamp__lt=end
            ).count()
            if stored >= bars or start <= HISTORY_START:
                break
            _require_loaded(budget, asset, timeframe, start, end)
            span *= 2
        # Only the bars the page shows must be loaded: the lookback overshoots on purpose
        # (NYSE hours), and a gap left older than the page's oldest bar is no reason to wait.
        needed = start
        if budget.spent and stored is not None and stored >= bars:
            needed = (
                Candle.objects.filter(
                    asset=asset, timeframe=timeframe.code, timestamp__gte=start, timestamp__lt=end
                )
                .order_by("-timestamp")
                .values_list("timestamp", flat=True)[bars - 1]
            )
        _require_loaded(budget, asset, timeframe, needed, end)
    queryset = _window_queryset(asset, timeframe.code, start, before)
    head = _head(asset, timeframe, edge if live else None, asked_end, provider)
    # Only completed bars are ever stored (`candles_fetch` stops at the forming one), so the
    # count taken to size the window is the page's count too: no second COUNT query.
    return CandleWindow(queryset, head, stored=stored)


def _window_queryset(asset, timeframe_code: str, start, before):
    """The window's stored bars, those starting in [start, before), newest first; `asset`
    an Asset or its id."""
    return Candle.objects.filter(
        asset=asset, timeframe=timeframe_code, timestamp__gte=start, timestamp__lt=before
    ).order_by("-timestamp")


def _head(asset: Asset, timeframe: Timeframe, edge, asked_end, provider) -> list[Bar]:
    """The live bars that lead a live window (from `edge` on, before the asked `end`); none
    when the window is not live (`edge` None)."""
    if edge is None:
        return []
    head = candles_live(asset=asset, timeframe=timeframe, since=edge, provider=provider)
    if asked_end is not None:
        head = [bar for bar in head if bar.timestamp < asked_end]
    return head
