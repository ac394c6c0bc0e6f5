"""Keeps the quote cache fresh for the symbols that matter and calls `on_quotes` on every
update: Alpaca's websocket streams with the Alpaca provider, a ticking loop with the
simulated one. The symbol set is re-read every --refresh seconds."""

import asyncio
import logging
import threading
import time
from decimal import Decimal

from django.core.management.base import BaseCommand

from core.hooks import on_quotes, symbols_that_matter
from core.providers import ProviderUnavailable, get_provider
from core.providers.base import is_crypto_symbol
from core.quotes import Quote, quotes_get, quotes_store
from core.services.quotes import quotes_refresh, stream_heartbeat

logger = logging.getLogger(__name__)


def _decimal(value) -> Decimal:
    return Decimal(str(value))


# A stream that says nothing for this long is treated as down, even if its threads run
# (alpaca-py reconnects inside a live thread, so a live thread may hold no connection).
# Quiet hours with only equities subscribed hand over to the (rate-conscious) polling task.
STREAM_SILENCE_SECONDS = 120.0


def stream_pulse(
    *,
    threads,
    last_message_at: float | None,
    started_at: float,
    now: float,
    silence: float = STREAM_SILENCE_SECONDS,
) -> bool:
    """Beats the stream heartbeat only while the stream is really alive: every websocket
    thread runs, and a message arrived within `silence` seconds (counted from the start
    until the first one). Returns whether it beat. Without a beat the polling task takes over
    once `stream_is_alive()` turns false (15 s); times are `time.monotonic()` readings."""
    if not all(thread.is_alive() for thread in threads):
        return False
    heard_at = last_message_at if last_message_at is not None else started_at
    if now - heard_at > silence:
        return False
    stream_heartbeat()
    return True


def store_stream_quote(symbol: str, bid, ask, timestamp) -> Quote | None:
    """A websocket quote: bid/ask are new, `last` stays the last trade's (the mid if none)."""
    bid, ask = _decimal(bid), _decimal(ask)
    if bid <= 0 and ask <= 0:
        return None
    bid, ask = (bid if bid > 0 else ask), (ask if ask > 0 else bid)
    previous = quotes_get([symbol]).get(symbol)
    last = previous.last if previous else (bid + ask) / 2
    quote = Quote(symbol, bid, ask, last, timestamp)
    quotes_store([quote])
    on_quotes([symbol])
    return quote


def store_stream_trade(symbol: str, price, timestamp) -> Quote | None:
    """A websocket trade: `last` is new, bid/ask stay (the trade price if none yet)."""
    price = _decimal(price)
    if price <= 0:
        return None
    previous = quotes_get([symbol]).get(symbol)
    bid, ask = (previous.bid, previous.ask) if previous else (price, price)
    quote = Quote(symbol, bid, ask, price, timestamp)
    quotes_store([quote])
    on_quotes([symbol])
    return quote


class Command(BaseCommand):
    help = "Streams quotes into the cache for open positions, pending orders and watchlists."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Simulated tick (s).")
        parser.add_argument("--refresh", type=float, default=30.0, help="Symbol set re-read (s).")
        parser.add_argument(
            "--iterations", type=int, default=0, help="Stop after N ticks (simulated; 0 = run)."
        )

    def handle(self, *args, interval, refresh, iterations, **options):
        provider = get_provider()
        if provider.name == "alpaca":
            self._stream_alpaca(provider, refresh)
        else:
            self._tick(interval, refresh, iterations)

    def _tick(self, interval: float, refresh: float, iterations: int) -> None:
        symbols, read_at, done = symbols_that_matter(), time.monotonic(), 0
        self.stdout.write(f"Ticking {len(symbols)} symbols every {interval}s.")
        while True:
            if time.monotonic() - read_at >= refresh:
                symbols, read_at = symbols_that_matter(), time.monotonic()
            stream_heartbeat()
            try:
                quotes_refresh(symbols, notify=True)
            except ProviderUnavailable as exc:
                logger.warning("Quote tick failed: %s", exc)
            done += 1
            if iterations and done >= iterations:
                return
            time.sleep(interval)

    def _stream_alpaca(self, provider, refresh: float) -> None:
        from alpaca.data.live.crypto import CryptoDataStream
        from alpaca.data.live.stock import StockDataStream

        key, secret = provider.stocks._api_key, provider.stocks._secret_key
        streams = {
            "stocks": StockDataStream(key, secret, feed=provider.data_feed),
            "crypto": CryptoDataStream(key, secret),
        }

        heard: dict[str, float | None] = {"at": None}  # the last message's monotonic time

        async def on_quote(q):
            heard["at"] = time.monotonic()
            await asyncio.to_thread(
                store_stream_quote, q.symbol, q.bid_price, q.ask_price, q.timestamp
            )

        async def on_trade(t):
            heard["at"] = time.monotonic()
            await asyncio.to_thread(store_stream_trade, t.symbol, t.price, t.timestamp)

        subscribed: dict[str, set[str]] = {"stocks": set(), "crypto": set()}

        def resubscribe():
            wanted = symbols_that_matter()
            for name, stream in streams.items():
                mine = {s for s in wanted if is_crypto_symbol(s) == (name == "crypto")}
                new, gone = mine - subscribed[name], subscribed[name] - mine
                if new:
                    stream.subscribe_quotes(on_quote, *new)
                    stream.subscribe_trades(on_trade, *new)
                if gone:
                    stream.unsubscribe_quotes(*gone)
                    stream.unsubscribe_trades(*gone)
                subscribed[name] = mine

        resubscribe()
        # Seed the cache once so consumers have prices before the first websocket message.
        try:
            quotes_refresh(symbols_that_matter(), notify=True)
        except ProviderUnavailable as exc:
            logger.warning("Initial quote refresh failed: %s", exc)
        threads = [threading.Thread(target=stream.run, daemon=True) for stream in streams.values()]
        for thread in threads:
            thread.start()
        started_at = time.monotonic()
        self.stdout.write(f"Streaming {sum(map(len, subscribed.values()))} symbols from Alpaca.")
        alive = True
        while True:
            was_alive, alive = (
                alive,
                stream_pulse(
                    threads=threads,
                    last_message_at=heard["at"],
                    started_at=started_at,
                    now=time.monotonic(),
                ),
            )
            if was_alive != alive:
                logger.warning(
                    "The Alpaca stream is %s",
                    "back" if alive else "down or silent: the polling task takes over",
                )
            time.sleep(min(refresh, 10))
            try:
                resubscribe()
            except Exception:
                logger.exception("Resubscribing the Alpaca streams failed")
