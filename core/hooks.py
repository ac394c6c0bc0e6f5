"""Two tiny registries that let other apps react to prices without core importing them.

- Quote listeners: `register_quote_listener(fn)`; `on_quotes(symbols)` is called after every
  batch of fresh quotes is stored (price stream, polling task) and calls each listener with
  the list of symbols that changed. Listeners read the prices with `core.quotes.quotes_get`.
- Symbol sources: `register_symbol_source(fn)`; `fn()` returns the symbols some app needs
  live prices for (paper trading: open positions and pending orders). core contributes the
  symbols on users' watchlists. `symbols_that_matter()` is their union, what the stream and
  the polling task keep fresh.

Register in your AppConfig.ready(). Registration is idempotent.
"""

import logging
from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)

QuoteListener = Callable[[list[str]], object]
SymbolSource = Callable[[], Iterable[str]]

_quote_listeners: list[QuoteListener] = []
_symbol_sources: list[SymbolSource] = []


def register_quote_listener(listener: QuoteListener) -> QuoteListener:
    """Usable as a decorator."""
    if listener not in _quote_listeners:
        _quote_listeners.append(listener)
    return listener


def unregister_quote_listener(listener: QuoteListener) -> None:
    if listener in _quote_listeners:
        _quote_listeners.remove(listener)


def register_symbol_source(source: SymbolSource) -> SymbolSource:
    if source not in _symbol_sources:
        _symbol_sources.append(source)
    return source


def unregister_symbol_source(source: SymbolSource) -> None:
    if source in _symbol_sources:
        _symbol_sources.remove(source)


def on_quotes(symbols: Iterable[str]) -> None:
    """Tells every listener these symbols have new quotes. One failing listener is logged and
    never keeps the others (or the stream) from running."""
    symbols = sorted(set(symbols))
    if not symbols:
        return
    for listener in list(_quote_listeners):
        try:
            listener(symbols)
        except Exception:
            logger.exception("Quote listener %r failed for %d symbols", listener, len(symbols))


def symbols_that_matter() -> list[str]:
    """The union of every registered source, sorted; a failing source is logged and skipped."""
    symbols: set[str] = set()
    for source in list(_symbol_sources):
        try:
            symbols.update(source())
        except Exception:
            logger.exception("Symbol source %r failed", source)
    return sorted(symbols)
