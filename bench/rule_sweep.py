"""Benchmark: the set-based rule sweep against the naive per-account loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sweep \
        .venv/bin/python bench/rule_sweep.py [--accounts 10000] [--positions 5] [--symbols 500]

Creates the database if needed, migrates, seeds N active accounts × P open positions over S
symbols (once; re-used by later runs), stores one fresh quote per symbol, then times:
1. the sweep with the first marks (every account written, an equity point each);
2. the sweep after the prices moved (every account written again; the steady state);
3. the naive loop `account.update_balance(); account.check_rules()` over a sample of
   accounts, extrapolated to N.
Prices stay within ±2% of the entries, so no account breaches: the numbers are the cost
of marking and judging, not of liquidating.
"""

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpacabackend.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key-" + "x" * 40)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_sweep")
os.environ["LOG_LEVEL"] = "WARNING"


def seed(accounts: int, positions: int, symbols: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from account.models import User
    from core.models import Asset
    from paper_trading.models import Trade
    from prop_firm.models import PropFirmAccount, PropFirmPlan

    have = PropFirmAccount.objects.filter(status="ACTIVE").count()
    if have == accounts and Trade.objects.filter(status="OPEN").count() == accounts * positions:
        return
    print(f"seeding {accounts} accounts × {positions} positions over {symbols} symbols…")
    rng = random.Random(42)
    with transaction.atomic():
        Trade.objects.all().delete()
        for model in ("EquitySnapshot", "AccountActivity", "RuleViolation"):
            from django.apps import apps

            apps.get_model("prop_firm", model).objects.all()._raw_delete("default")
        from paper_trading.models import LedgerEntry

        LedgerEntry.objects.all()._raw_delete("default")
        PropFirmAccount.objects.all().delete()
        user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
            email="bench@example.com", name="Bench", password="bench-password-123"
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
        created = PropFirmAccount.objects.bulk_create(
            [
                PropFirmAccount(
                    user=user,
                    plan=plan,
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
            ],
            batch_size=2000,
        )
        Trade.objects.bulk_create(
            [
                Trade(
                    account=account,
                    asset=rng.choice(assets),
                    direction=rng.choice(("LONG", "SHORT")),
                    status="OPEN",
                    quantity=Decimal(rng.randint(1, 20)),
                    entry_price=Decimal("100.00"),
                    entry_at=now,
                )
                for account in created
                for _ in range(positions)
            ],
            batch_size=5000,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def store_quotes(symbols: int, move: Decimal) -> None:
    from django.utils import timezone

    from core.quotes import Quote, quotes_store

    now = timezone.now()
    rng = random.Random(int(move * 100))
    quotes = []
    for i in range(symbols):
        mid = Decimal("100") * (1 + move * Decimal(rng.randint(-100, 100)) / 100)
        mid = mid.quantize(Decimal("0.01"))
        quotes.append(Quote(f"B{i:03d}", mid - Decimal("0.01"), mid + Decimal("0.01"), mid, now))
    quotes_store(quotes)


def timed(function, repeat: int = 1) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--positions", type=int, default=5)
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from _seed import ensure_database  # beside this script

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Sum
    from django.test.utils import CaptureQueriesContext

    from paper_trading.models import Trade
    from prop_firm.models import EquitySnapshot, PropFirmAccount
    from prop_firm.services import rule_engine

    call_command("migrate", verbosity=0)
    seed(args.accounts, args.positions, args.symbols)
    EquitySnapshot.objects.all()._raw_delete("default")
    PropFirmAccount.objects.update(equity_snapshot_at=None)

    store_quotes(args.symbols, Decimal("0.01"))
    with CaptureQueriesContext(connection) as queries:
        first = rule_engine.sweep()
    assert first.accounts == args.accounts and not first.flagged, first.flagged[:5]
    print(
        f"first sweep: {first.accounts} accounts, {first.written} marks written, "
        f"{first.snapshots} equity points, {len(queries)} queries"
    )

    steady = []
    for index in range(args.repeat):
        store_quotes(args.symbols, Decimal("0.02") if index % 2 == 0 else Decimal("0.01"))
        start = time.perf_counter()
        stats = rule_engine.sweep()
        steady.append(time.perf_counter() - start)
        assert stats.accounts == args.accounts and not stats.flagged
    # Time the first-marks sweep again on a fresh state (equity points due for everyone).
    EquitySnapshot.objects.all()._raw_delete("default")
    PropFirmAccount.objects.update(equity_snapshot_at=None)
    store_quotes(args.symbols, Decimal("0.02"))
    first_time = timed(rule_engine.sweep)[0]

    sample = list(PropFirmAccount.objects.filter(status="ACTIVE").order_by("id")[: args.sample])
    store_quotes(args.symbols, Decimal("0.01"))
    start = time.perf_counter()
    for account in sample:
        account.update_balance()
        account.check_rules()
    naive_sample = time.perf_counter() - start
    naive_total = naive_sample * args.accounts / len(sample)

    sweep_median = statistics.median(steady)
    total_u = PropFirmAccount.objects.aggregate(total=Sum("unrealized_pl"))["total"]
    print(f"open positions: {Trade.objects.filter(status='OPEN').count()}, ΣU = {total_u}")
    print(f"sweep with equity points for all: {first_time:.3f} s")
    print(
        f"sweep, steady state (prices moved, every account written): median "
        f"{sweep_median:.3f} s, min {min(steady):.3f} s over {len(steady)} runs"
    )
    print(
        f"naive loop: {naive_sample:.3f} s for {len(sample)} accounts → "
        f"{naive_total:.1f} s extrapolated to {args.accounts}"
    )
    print(f"ratio (naive / sweep median): {naive_total / sweep_median:.0f}×")


if __name__ == "__main__":
    main()
