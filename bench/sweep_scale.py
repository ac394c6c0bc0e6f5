"""Benchmark: the rule sweep at a firm's scale (issue 13).

    # 100,000 accounts: one process, then the chunk tasks on 1 and on 2 Celery workers
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench13_sweep100k \
        .venv/bin/python bench/sweep_scale.py workers --accounts 100000 [--workers 1,2] [--repeat 3]

    # 10,000 accounts: N consecutive sweeps with prices moving between them, then the
    # original per-account loop over a sample, extrapolated
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench13_sweep10k \
        .venv/bin/python bench/sweep_scale.py consecutive --accounts 10000 --sweeps 100

Seeding (once per database, reused while the counts match): N ACTIVE accounts of the seed's
$50K plan × P open positions over S symbols, written with COPY (`bench/_seed.py`), then
ANALYZE. Every sweep is preceded by a fresh quote per symbol in the Redis cache (REDIS_URL,
db 9 by default: the workers and this process must share it), each set drawn anew, so prices
move between sweeps (within ±2% of the entries: no account breaches, the figures are the cost
of marking and judging). The first sweep on a database also takes every account's start-of-day
snapshot; it runs untimed before the measurements ("warm-up").

Workers: `celery -A alpacabackend worker --concurrency 1` processes on the Redis broker
(CELERY_BROKER_URL = the same Redis db), each sweep being what the beat task does —
`rule_engine.sweep_chunks()` then one `prop_firm.rule_sweep_chunk` task per id range —
timed from the chunk list's query to the last chunk's result (results stored in Redis for the
bench only, `ignore_result=False` on the call). The workers are stopped at the end.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

REDIS_DEFAULT = "redis://127.0.0.1:6379/9"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpacabackend.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key-" + "x" * 40)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench13_sweep10k")
os.environ.setdefault("REDIS_URL", REDIS_DEFAULT)
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["PYTHONWARNINGS"] = "ignore::UserWarning"


def seed(accounts: int, positions: int, symbols: int) -> None:
    from _seed import copy_models
    from django.db import connection, transaction
    from django.utils import timezone

    from account.models import User
    from core.models import Asset
    from paper_trading.models import Trade
    from prop_firm.models import PropFirmAccount, PropFirmPlan

    have = PropFirmAccount.objects.filter(status="ACTIVE").count()
    if have == accounts and Trade.objects.filter(status="OPEN").count() == accounts * positions:
        return
    print(
        f"seeding {accounts} accounts × {positions} positions over {symbols} symbols…", flush=True
    )
    started = time.perf_counter()
    rng = random.Random(42)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE paper_trading_ledgerentry, paper_trading_trade, "
                "prop_firm_equitysnapshot, prop_firm_accountactivity, prop_firm_ruleviolation, "
                "prop_firm_propfirmaccount CASCADE"
            )
        user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
            email="bench@example.com", name="Bench", password=None
        )
        plan = PropFirmPlan.objects.filter(name="$50K Challenge").first() or (
            PropFirmPlan.objects.create(
                name="$50K Challenge",
                starting_balance=Decimal("50000.00"),
                price=Decimal("99.00"),
                max_daily_loss=Decimal("2500.00"),
                max_total_loss=Decimal("5000.00"),
                profit_target=Decimal("5000.00"),
                min_trading_days=5,
            )
        )
        assets = [
            Asset.objects.get_or_create(symbol=f"B{i:03d}", defaults={"name": f"Bench {i}"})[0]
            for i in range(symbols)
        ]
        now = timezone.now()
        b0 = plan.starting_balance
        copy_models(
            [
                PropFirmAccount(
                    user_id=user.pk,
                    plan_id=plan.pk,
                    account_number=f"PA{i:08d}",
                    status="ACTIVE",
                    starting_balance=b0,
                    current_balance=b0,
                    equity=b0,
                    sod_balance=b0,
                    sod_equity=b0,
                    eod_hwm=b0,
                    peak_equity=b0,
                    max_loss_floor=b0 - plan.max_total_loss,
                    stage_started_at=now,
                    activated_at=now,
                    payment_completed_at=now,
                    last_fill_at=now,
                )
                for i in range(accounts)
            ]
        )
        ids = list(PropFirmAccount.objects.order_by("id").values_list("id", flat=True))
        copy_models(
            [
                Trade(
                    account_id=account_id,
                    asset_id=rng.choice(assets).pk,
                    direction=rng.choice(("LONG", "SHORT")),
                    order_type="MARKET",
                    status="OPEN",
                    quantity=Decimal(rng.randint(1, 20)),
                    entry_price=Decimal("100.00"),
                    entry_at=now,
                )
                for account_id in ids
                for _ in range(positions)
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


def store_quotes(symbols: int, round_number: int) -> None:
    """A new price for every symbol, within ±2% of the entries (drawn per round)."""
    from django.utils import timezone

    from core.quotes import Quote, quotes_store

    now = timezone.now()
    rng = random.Random(1000 + round_number)
    quotes = []
    for i in range(symbols):
        mid = (Decimal("100") * (1 + Decimal(rng.randint(-200, 200)) / 10000)).quantize(
            Decimal("0.01")
        )
        quotes.append(Quote(f"B{i:03d}", mid - Decimal("0.01"), mid + Decimal("0.01"), mid, now))
    quotes_store(quotes)


def sweep_in_process() -> tuple[float, object]:
    from prop_firm.services import rule_engine

    start = time.perf_counter()
    stats = rule_engine.sweep()
    return time.perf_counter() - start, stats


def table_stats() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd, "
            "pg_size_pretty(pg_total_relation_size(relid)) FROM pg_stat_user_tables "
            "WHERE relname = 'prop_firm_propfirmaccount'"
        )
        live, dead, updated, hot, size = cursor.fetchone()
    return f"account table: {live} live / {dead} dead tuples, {hot}/{updated} HOT updates, {size}"


def vacuum(full: bool = False) -> None:
    """Every configuration starts from the same table: the dead row versions the previous
    one's sweeps left are reclaimed first (the consecutive mode measures their effect, and
    starts from a table rewritten without them: VACUUM FULL)."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {'FULL ' if full else ''}ANALYZE prop_firm_propfirmaccount")
    print(f"(VACUUM of the account table: {time.perf_counter() - start:.1f} s)", flush=True)


# --- workers --------------------------------------------------------------------------------


def workers_start(count: int) -> list[subprocess.Popen]:
    celery = str(ROOT / ".venv" / "bin" / "celery")
    processes = []
    for k in range(count):
        processes.append(
            subprocess.Popen(
                [
                    celery,
                    "-A",
                    "alpacabackend",
                    "worker",
                    "--concurrency",
                    "1",
                    "--pool",
                    "prefork",
                    "-n",
                    f"bench13-w{k}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "warning",
                ],
                cwd=ROOT,
                env=dict(os.environ),
                start_new_session=True,
                stdout=subprocess.DEVNULL,  # the banner; warnings and errors go to stderr
            )
        )
    return processes


def workers_wait(count: int) -> None:
    from alpacabackend.celery import app

    for _ in range(60):
        replies = app.control.ping(timeout=1.0) or []
        if len([r for r in replies if any(name.startswith("bench13-w") for name in r)]) >= count:
            return
        time.sleep(0.5)
    raise SystemExit(f"{count} Celery workers did not answer within 60 s")


def workers_stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # warm shutdown: the main process stops its pool
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def sweep_on_workers() -> float:
    """What the beat task does (chunk list, one task per range), waited for to the end."""
    from prop_firm.services import rule_engine
    from prop_firm.tasks import rule_sweep_chunk

    start = time.perf_counter()
    results = [
        rule_sweep_chunk.apply_async((first_id, last_id), ignore_result=False)
        for first_id, last_id in rule_engine.sweep_chunks()
    ]
    for result in results:
        result.get(timeout=600, propagate=True)
    return time.perf_counter() - start


def run_workers(args) -> None:
    symbols = args.symbols
    round_number = 0
    store_quotes(symbols, round_number)
    elapsed, stats = sweep_in_process()
    print(
        f"warm-up sweep in this process (start-of-day snapshots if due): {elapsed:.2f} s, "
        f"{stats.accounts} accounts, {stats.written} written",
        flush=True,
    )
    assert stats.accounts == args.accounts and not stats.flagged, stats.flagged[:5]
    times = []
    if args.vacuum:
        vacuum()
    for _ in range(args.repeat):
        round_number += 1
        store_quotes(symbols, round_number)
        elapsed, stats = sweep_in_process()
        times.append(elapsed)
    print(
        f"one process, no Celery: {' / '.join(f'{t:.2f}' for t in times)} s "
        f"(median {statistics.median(times):.2f} s)",
        flush=True,
    )
    summary = {"in-process": times}
    for count in args.workers:
        if args.vacuum:
            vacuum()
        processes = workers_start(count)
        try:
            workers_wait(count)
            round_number += 1
            store_quotes(symbols, round_number)
            warm = sweep_on_workers()
            times = []
            for _ in range(args.repeat):
                round_number += 1
                store_quotes(symbols, round_number)
                times.append(sweep_on_workers())
        finally:
            workers_stop(processes)
        summary.setdefault(f"{count} worker(s)", []).extend(times)
        print(
            f"{count} Celery worker(s) × concurrency 1: warm-up {warm:.2f} s, then "
            f"{' / '.join(f'{t:.2f}' for t in times)} s (median {statistics.median(times):.2f} s)",
            flush=True,
        )
    print(table_stats())
    print()
    print(
        f"{args.accounts} accounts × {args.positions} positions, chunks of "
        f"{_chunk_size()}: median seconds per sweep"
    )
    for name, times in summary.items():
        print(
            f"  {name:<16} {statistics.median(times):6.2f} s  (min {min(times):.2f}, "
            f"max {max(times):.2f}, {len(times)} sweeps)"
        )


def _chunk_size() -> int:
    from prop_firm.services.rule_engine import sweep_chunk_size

    return sweep_chunk_size()


# --- consecutive sweeps ---------------------------------------------------------------------


def run_consecutive(args) -> None:
    from prop_firm.models import PropFirmAccount

    vacuum(full=True)
    store_quotes(args.symbols, 0)
    elapsed, stats = sweep_in_process()
    print(f"warm-up sweep (start-of-day snapshots if due): {elapsed:.2f} s", flush=True)
    print(table_stats(), flush=True)
    times = []
    started = time.perf_counter()
    for index in range(1, args.sweeps + 1):
        store_quotes(args.symbols, index)
        elapsed, stats = sweep_in_process()
        assert stats.accounts == args.accounts and not stats.flagged, stats.flagged[:5]
        times.append(elapsed)
        if index == 1 or index % 10 == 0 or index == args.sweeps:
            print(
                f"  sweep {index:>3}: {elapsed:.2f} s ({stats.written} accounts written; "
                f"{time.perf_counter() - started:.0f} s so far)",
                flush=True,
            )
    print(table_stats())
    first10, last10 = times[:10], times[-10:]
    growth = statistics.median(last10) / statistics.median(first10)
    print()
    print(
        f"{args.sweeps} consecutive sweeps of {args.accounts} accounts × {args.positions} "
        f"positions (prices moved before each): first {times[0]:.2f} s, last {times[-1]:.2f} s; "
        f"median of the first 10 {statistics.median(first10):.2f} s, of the last 10 "
        f"{statistics.median(last10):.2f} s (×{growth:.2f}); "
        f"median of all {statistics.median(times):.2f} s"
    )
    every10 = [times[0]] + [times[i - 1] for i in range(10, args.sweeps + 1, 10)]
    print("  1st and every 10th: " + ", ".join(f"{t:.2f}" for t in every10))
    if args.json:
        Path(args.json).write_text(json.dumps({"accounts": args.accounts, "sweeps": times}))
    if args.naive_sample:
        sample = list(
            PropFirmAccount.objects.filter(status="ACTIVE").order_by("id")[: args.naive_sample]
        )
        store_quotes(args.symbols, args.sweeps + 1)
        start = time.perf_counter()
        for account in sample:
            account.update_balance()
            account.check_rules()
        naive = time.perf_counter() - start
        total = naive * args.accounts / len(sample)
        median = statistics.median(last10)
        print(
            f"original loop (update_balance + check_rules): {naive:.2f} s for {len(sample)} "
            f"accounts → {total:.1f} s extrapolated to {args.accounts}; "
            f"ratio to the last 10 sweeps' median: {total / median:.0f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("workers", "consecutive"))
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--positions", type=int, default=5)
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--workers", default="1,2", help="worker counts to compare")
    parser.add_argument("--repeat", type=int, default=3, help="timed sweeps per configuration")
    parser.add_argument("--sweeps", type=int, default=100, help="consecutive sweeps")
    parser.add_argument(
        "--no-vacuum",
        dest="vacuum",
        action="store_false",
        help="workers mode: do not VACUUM the account table before each configuration",
    )
    parser.add_argument("--json", help="consecutive mode: every sweep's time, as JSON")
    parser.add_argument("--naive-sample", type=int, default=200)
    args = parser.parse_args()
    args.workers = [int(n) for n in args.workers.split(",") if n]
    if args.mode == "workers":
        os.environ["CELERY_BROKER_URL"] = os.environ["REDIS_URL"]
        os.environ["CELERY_RESULT_BACKEND"] = os.environ["REDIS_URL"]

    from _seed import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    cache.clear()
    seed(args.accounts, args.positions, args.symbols)
    if args.mode == "workers":
        run_workers(args)
    else:
        run_consecutive(args)


if __name__ == "__main__":
    main()
