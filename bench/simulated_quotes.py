"""Benchmark: the simulated market's quotes (was a timed unit test; speed lives here).

    .venv/bin/python bench/simulated_quotes.py [--symbols 500] [--repeat 20]

Times, in one process with no database:
1. `get_latest_quotes` for N symbols (450 synthetic + 50 of the universe), after the first
   call of the session warmed each symbol's day (what the rule sweep and the quote poll pay
   on every tick);
2. the first sight of those N symbols in a session (the cold call);
3. one quote at an instant years away, caches cleared (computed directly, never walking the
   history from 1970).
Prints the median and the minimum of the repeats; docs/PERFORMANCE.md keeps the figures.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpacabackend.settings")
os.environ.setdefault("ENV_FILE", os.devnull)
os.environ.setdefault("DEBUG", "True")

import django

django.setup()

from core.providers import simulated  # noqa: E402
from core.providers.simulated import SimulatedProvider  # noqa: E402
from core.providers.universe import listings  # noqa: E402

NOW = datetime(2026, 11, 25, 15, 33, 7, tzinfo=UTC)  # Wednesday 10:33 New York


def timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    real = list(listings())[:50]
    symbols = [f"SYM{i}" for i in range(max(args.symbols - len(real), 0))] + real
    provider = SimulatedProvider(market_hours="always", clock=lambda: NOW)

    def cold():
        simulated.caches_clear()
        provider.get_latest_quotes(symbols)

    cold_median, cold_min = timed(cold, max(args.repeat // 5, 3))
    provider.get_latest_quotes(symbols)  # first sight of each session
    warm_median, warm_min = timed(lambda: provider.get_latest_quotes(symbols), args.repeat)

    far = datetime(2031, 6, 2, 14, 0, 30, tzinfo=UTC)
    far_market = SimulatedProvider(market_hours="always", clock=lambda: far)

    def far_quote():
        simulated.caches_clear()
        far_market.quote_at("MSFT", far)

    far_median, far_min = timed(far_quote, args.repeat)

    print(
        f"{len(symbols)} latest quotes, warm:  median {warm_median * 1000:.1f} ms "
        f"(min {warm_min * 1000:.1f} ms)"
    )
    print(
        f"{len(symbols)} latest quotes, cold:  median {cold_median * 1000:.1f} ms "
        f"(min {cold_min * 1000:.1f} ms)"
    )
    print(
        f"one quote in 2031, caches cleared: median {far_median * 1000:.1f} ms "
        f"(min {far_min * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
