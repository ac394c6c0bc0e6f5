"""Benchmark: the API under load, one gunicorn server on PostgreSQL + Redis (issue 13).

    .venv/bin/python bench/api_load.py [--clients 16] [--rounds 3] [--slice 6] [--workers 4]
        [--serial 30] [--database-url postgres://postgres@127.0.0.1:5432/bench13_api]
        [--redis-url redis://127.0.0.1:6379/9]

What it does, in one run so the ratios are fair:
1. creates the database if needed, migrates, and seeds (reused by later runs): a plan, the
   simulated market's assets, one user per client with a fresh funded ACTIVE account, one
   with an account holding 1,000 closed trades and one with 10,000 (history over 300 days
   written with COPY: trades and their ledger entries — entry commission, realised P&L, exit
   commission — summing to the balance, as the fill path writes them), and one shared
   account. The fresh and shared accounts are new on every run; the shared and history
   accounts are on a copy of the plan whose loss limits a day of runs cannot reach.
2. starts gunicorn (DEBUG=False, simulated market always open, Redis cache, throttles
   raised out of the way) on 127.0.0.1 only;
3. runs the scenarios below in rounds: in each round every scenario in turn gets all the
   clients for `--slice` seconds (at most `--max-requests` requests), so drift of the machine
   hits every scenario alike; req/s is completed requests / the slices' wall time (in-flight
   requests finish inside the slice's time), latencies are p50 / p99 over all requests;
   the ratios are given for the whole run and, round by round, as their median and range
   (the host's other tenants move the trivial GET most: compare ratios, and their medians),
   and from the CPU the whole machine spent per request (/proc/stat, steal excluded), which
   gives a saturated machine's throughput ratios without that noise;
4. with `--serial N`: N requests of each scenario one at a time over HTTP, then, in this
   process (not through gunicorn), SQL statements and Redis round trips of one market order
   that opens a position and one that closes it, on a fresh account and on the 1,000- and
   10,000-trade accounts (median over N orders);
5. stops gunicorn.

Orders are market orders of 1 share in the `side` format, alternating buy and sell per
client, so positions stay small (a sell closes the client's last buy) and an account's
history grows by about one closed trade per two orders.
"""

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import warnings
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PLAN_NAME = "Bench13 $50K"
HISTORY_DAYS = 300


def server_environment(args) -> dict[str, str]:
    """The settings of the server (and of this process, which seeds and signs the tokens)."""
    return {
        "DJANGO_SETTINGS_MODULE": "alpacabackend.settings",
        "DEBUG": "False",
        "DJANGO_SECRET_KEY": args.secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_BROKER_URL": "",  # side effects (emails) run in-process
        # No schedule in the server: in production beat runs it in a process of its own.
        "EMBEDDED_SCHEDULER": "False",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "MARKET_DATA_PROVIDER": "simulated",
        "SIMULATED_MARKET_HOURS": "always",
        "JWT_ACCESS_MINUTES": "600",
        "THROTTLE_AUTH_IP_RATE": "1000000/min",
        "THROTTLE_AUTH_EMAIL_RATE": "1000000/min",
        "THROTTLE_EMAIL_SEND_RATE": "1000000/min",
        "THROTTLE_CHECKOUT_RATE": "1000000/min",
        "THROTTLE_ALPACA_KEY_RATE": "1000000/min",
        "LOG_LEVEL": "WARNING",
        # whitenoise warns once per process that collectstatic has not run: the API needs none.
        "PYTHONWARNINGS": "ignore::UserWarning",
    }


# --- seeding --------------------------------------------------------------------------------


def plan_get(name: str = PLAN_NAME, **limits):
    """The seed's $50K Challenge, or a copy of it with other `limits`."""
    from prop_firm.models import PropFirmPlan

    plan, _ = PropFirmPlan.objects.update_or_create(
        name=name,
        defaults={
            "description": "Benchmark plan (the seed's $50K Challenge)",
            "plan_type": "EVALUATION",
            "starting_balance": Decimal("50000.00"),
            "price": Decimal("99.00"),
            "max_daily_loss": Decimal("2500.00"),
            "max_total_loss": Decimal("5000.00"),
            "profit_target": Decimal("5000.00"),
            "min_trading_days": 5,
            "max_position_size": Decimal("100.00"),
            "profit_split": Decimal("80.00"),
            "is_active": True,
            **limits,
        },
    )
    return plan


def user_get(email: str):
    from account.models import User

    user = User.objects.filter(email=email).first()
    return user or User.objects.create_user(email=email, name=email.split("@")[0], password=None)


def account_open(user, plan):
    from prop_firm.services.lifecycle import account_activate, account_create_pending

    return account_activate(account=account_create_pending(user=user, plan=plan))


def history_seed(account, trades: int, asset, now) -> None:
    """`trades` closed trades over the last HISTORY_DAYS days with their ledger entries
    (COPY), then the account's marks and fill statistics as the fill path leaves them. The
    realised P&L alternates +4 / −4 (gross +6 / −2, $1 commission each side), so B ends at
    B0 and no rule is near."""
    from _seed import copy_models
    from django.db import connection, transaction

    from paper_trading.models import LedgerEntry, Trade
    from prop_firm.models import PropFirmAccount

    assert trades % 2 == 0
    start = (now - timedelta(days=HISTORY_DAYS + 1)).replace(hour=14, minute=0, second=0)
    b0 = account.starting_balance
    one = Decimal("1.00")
    rows, times = [], []
    for k in range(trades):
        day = k * HISTORY_DAYS // trades
        entry_at = start + timedelta(days=day, seconds=(k % 200) * 90)
        exit_at = entry_at + timedelta(minutes=5)
        gross = Decimal("6.00") if k % 2 == 0 else Decimal("-2.00")
        rows.append(
            Trade(
                account_id=account.pk,
                asset_id=asset.pk,
                direction="LONG",
                order_type="MARKET",
                time_in_force="GTC",
                status="CLOSED",
                position_effect="OPEN",
                quantity=Decimal("1"),
                entry_price=Decimal("100.00"),
                entry_at=entry_at,
                exit_price=Decimal("100.00") + gross,
                exit_at=exit_at,
                close_reason="MANUAL",
                commission=2 * one,
                realized_pl=gross - 2 * one,
                created_at=entry_at,
                updated_at=exit_at,
            )
        )
        times.append((entry_at, exit_at, gross))
    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update().get(pk=account.pk)
        copy_models(rows)
        ids = list(
            Trade.objects.filter(account_id=account.pk).order_by("id").values_list("id", flat=True)
        )[-trades:]
        balance = locked.current_balance
        entries = []
        for trade_id, (entry_at, exit_at, gross) in zip(ids, times, strict=True):
            for kind, amount, at in (
                ("COMMISSION", -one, entry_at),
                ("REALIZED_PNL", gross, exit_at),
                ("COMMISSION", -one, exit_at),
            ):
                balance += amount
                entries.append(
                    LedgerEntry(
                        account_id=account.pk,
                        kind=kind,
                        amount=amount,
                        balance_after=balance,
                        trade_id=trade_id,
                        reference=f"trade:{trade_id}",
                        memo="bench history",
                        created_at=at,
                    )
                )
        copy_models(entries)
        assert balance == b0, balance
        activated = start - timedelta(days=1)
        with connection.cursor() as cursor:
            # The deposit happened at activation, before the history.
            cursor.execute(
                "UPDATE paper_trading_ledgerentry SET created_at = %s "
                "WHERE account_id = %s AND kind = 'DEPOSIT'",
                [activated, account.pk],
            )
        days = len({(t[0] - start).days for t in times})
        PropFirmAccount.objects.filter(pk=account.pk).update(
            activated_at=activated,
            stage_started_at=activated,
            payment_completed_at=activated,
            trading_days=days,
            first_fill_at=times[0][0],
            last_fill_at=times[-1][1],
        )


def seed(args):
    """Returns the bench's users, accounts and asset (see the module's docstring)."""
    from django.core.cache import cache
    from django.db import connection
    from django.utils import timezone

    from core.models import Asset
    from core.services.assets import assets_seed_if_empty
    from paper_trading.models import Trade
    from prop_firm.models import PropFirmAccount

    cache.clear()  # db 9 is the bench's own
    assets_seed_if_empty()
    asset = (
        Asset.objects.filter(symbol="AAPL").first()
        or Asset.objects.filter(tradable=True, asset_class="us_equity").order_by("id").first()
    )
    plan = plan_get()
    # Every order pays the spread and commissions, about $2 a round trip: the 2,000+ orders
    # of a run on the shared account, and the history accounts' orders over the runs of a
    # day (they are reused), would breach the $2,500 daily loss and turn the rest into
    # refusals. Those accounts get the same rules with limits out of reach.
    roomy = plan_get(f"{PLAN_NAME} (limits out of reach)", max_daily_loss=Decimal("40000.00"),
                     max_total_loss=Decimal("40000.00"))  # fmt: skip
    now = timezone.now()
    world = {"asset": asset, "clients": []}
    started = time.perf_counter()
    seeded = 0
    for i in range(args.clients):
        client = {}
        fresh = user_get(f"bench13-fresh-{i}@example.com")
        client["fresh_user"] = fresh
        client["fresh_account"] = account_open(fresh, plan)
        for label, size in (("h1k", args.history_small), ("h10k", args.history_large)):
            user = user_get(f"bench13-{label}-{i}@example.com")
            account = (
                PropFirmAccount.objects.filter(user=user, status="ACTIVE").order_by("-id").first()
            )
            if (
                account is None
                or account.plan_id != roomy.pk
                or Trade.objects.filter(account=account).count() < size
            ):
                PropFirmAccount.objects.filter(user=user, status="ACTIVE").update(status="CLOSED")
                account = account_open(user, roomy)
                history_seed(account, size, asset, now)
                seeded += size
            client[f"{label}_user"] = user
            client[f"{label}_account"] = account
        world["clients"].append(client)
    shared = user_get("bench13-shared@example.com")
    world["shared_user"] = shared
    world["shared_account"] = account_open(shared, roomy)
    with connection.cursor() as cursor:
        # A history a firm built over 300 days has been vacuumed by autovacuum: its pages
        # are all-visible, so counts scan the index alone. One just written by COPY is not
        # (until autovacuum comes by, minutes later), which would time a state no firm runs in.
        cursor.execute("VACUUM ANALYZE")
    print(
        f"seeded in {time.perf_counter() - started:.1f} s "
        f"({seeded} history trades written this run; {args.clients} clients)",
        flush=True,
    )
    return world


def token_for(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


# --- the load -------------------------------------------------------------------------------


class Scenario:
    def __init__(self, name, label, method, path, body=None):
        self.name, self.label, self.method = name, label, method
        self.path, self.body = path, body  # callables of (client index, request number)
        self.latencies: list[float] = []
        self.wall = 0.0
        self.rounds: list[float] = []  # req/s of each round's slice
        self.cpu = 0.0  # seconds of CPU the whole machine spent during the slices
        self.errors: dict[int, int] = {}
        self.first_error = ""


def scenarios_build(world) -> tuple[list[Scenario], dict]:
    asset = world["asset"]
    clients = world["clients"]
    tokens = {
        "shared": token_for(world["shared_user"]),
        **{
            (label, i): token_for(c[f"{label}_user"])
            for i, c in enumerate(clients)
            for label in ("fresh", "h1k", "h10k")
        },
    }

    def order(account_of):
        def body(i, n):
            return {
                "account_id": account_of(i),
                "symbol": asset.symbol,
                "side": "buy" if n % 2 == 0 else "sell",
                "quantity": "1",
            }

        return body

    trades = "/api/paper-trading/trades/"
    scenarios = [
        Scenario(
            "profile",
            "GET profile (trivial, authenticated)",
            "GET",
            lambda i, n: ("/api/account/profile/", tokens[("fresh", i)]),
        ),
        Scenario(
            "order_shared",
            "POST market order (one shared account)",
            "POST",
            lambda i, n: (trades, tokens["shared"]),
            order(lambda i: world["shared_account"].pk),
        ),
        Scenario(
            "order_own",
            "POST market order (one fresh account per client)",
            "POST",
            lambda i, n: (trades, tokens[("fresh", i)]),
            order(lambda i: clients[i]["fresh_account"].pk),
        ),
        Scenario(
            "candles",
            "GET candles_v2 tf=1 limit=100",
            "GET",
            lambda i, n: (
                f"/api/core/assets/{asset.pk}/candles_v2/?tf=1&limit=100",
                tokens[("fresh", i)],
            ),
        ),
        Scenario(
            "trades_1k",
            "GET trades list, unpaged, at 1,000 trades",
            "GET",
            lambda i, n: (trades, tokens[("h1k", i)]),
        ),
        Scenario(
            "order_1k",
            "POST market order, account with 1,000 trades (one per client)",
            "POST",
            lambda i, n: (trades, tokens[("h1k", i)]),
            order(lambda i: clients[i]["h1k_account"].pk),
        ),
        Scenario(
            "order_10k",
            "POST market order, account with 10,000 trades (one per client)",
            "POST",
            lambda i, n: (trades, tokens[("h10k", i)]),
            order(lambda i: clients[i]["h10k_account"].pk),
        ),
        Scenario(
            "trades_10k",
            "GET trades list, unpaged, at 10,000 trades",
            "GET",
            lambda i, n: (trades, tokens[("h10k", i)]),
        ),
    ]
    return scenarios, tokens


def request(session, base, scenario: Scenario, i: int, n: int):
    path, token = scenario.path(i, n)
    headers = {"Authorization": f"Bearer {token}"}
    body = scenario.body(i, n) if scenario.body else None
    start = time.perf_counter()
    response = session.request(
        scenario.method, base + path, json=body, headers=headers, timeout=120
    )
    elapsed = time.perf_counter() - start
    return response, elapsed


def machine_busy_seconds() -> float:
    """CPU time this machine has spent working (user, nice, system, irq, softirq; not idle,
    I/O wait, or steal: time the host gave other tenants), from /proc/stat. Every process
    of the bench counts: gunicorn, PostgreSQL, Redis and the clients."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run_slice(
    base, scenario: Scenario, clients: int, seconds: float, max_requests: int, counters: dict
) -> None:
    import requests

    deadline = time.perf_counter() + seconds
    issued = [0]
    lock = threading.Lock()

    def client(i):
        session = requests.Session()
        while True:
            with lock:
                if time.perf_counter() >= deadline or issued[0] >= max_requests:
                    return
                issued[0] += 1
            n = counters[(scenario.name, i)]
            counters[(scenario.name, i)] = n + 1
            try:
                response, elapsed = request(session, base, scenario, i, n)
            except Exception as exc:  # a timeout or a reset is a failed request
                with lock:
                    scenario.errors[0] = scenario.errors.get(0, 0) + 1
                    scenario.first_error = scenario.first_error or repr(exc)
                continue
            with lock:
                if response.status_code >= 400:
                    code = response.status_code
                    scenario.errors[code] = scenario.errors.get(code, 0) + 1
                    scenario.first_error = scenario.first_error or response.text[:300]
                else:
                    scenario.latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    done_before = len(scenario.latencies)
    busy = machine_busy_seconds()
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    scenario.cpu += machine_busy_seconds() - busy
    scenario.wall += wall
    scenario.rounds.append((len(scenario.latencies) - done_before) / wall)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def server_start(args, env) -> subprocess.Popen:
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    process = subprocess.Popen(
        [
            gunicorn,
            "alpacabackend.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    return process


def server_wait(base: str, token: str, process: subprocess.Popen) -> None:
    import requests

    for _ in range(120):
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            response = requests.get(
                base + "/api/account/profile/",
                timeout=5,
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer within 60 s")


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- in-process statement counts ------------------------------------------------------------


class RedisRoundTrips:
    """Counts packed sends to Redis (one per command, one per pipeline): round trips."""

    def __enter__(self):
        import redis.connection

        self.count = 0
        self._original = redis.connection.AbstractConnection.send_packed_command
        counter = self

        def counted(connection, *a, **kw):
            counter.count += 1
            return counter._original(connection, *a, **kw)

        redis.connection.AbstractConnection.send_packed_command = counted
        return self

    def __exit__(self, *exc):
        import redis.connection

        redis.connection.AbstractConnection.send_packed_command = self._original


class DatabaseRoundTrips:
    """Counts the strings this process's connection hands the PostgreSQL driver, as
    production sends them (queries not logged: prepared and batched), plus the BEGIN and
    COMMIT the driver sends itself for a transaction. PREPAREs of a statement's first use on
    the connection are left out (once per connection)."""

    def __init__(self):
        self.sent: list[str] = []

    def __enter__(self):
        import psycopg2.extensions
        from django.db import connection

        sent = self.sent

        class Recording(psycopg2.extensions.cursor):
            def execute(self, sql, params=None):
                sent.append(sql)
                return super().execute(sql, params)

        connection.ensure_connection()
        self._raw = connection.connection
        self._before = self._raw.cursor_factory
        self._raw.cursor_factory = Recording
        return self

    def __exit__(self, *exc):
        self._raw.cursor_factory = self._before

    @property
    def count(self) -> int:
        first_use = ("PREPARE", "SAVEPOINT prepared", "RELEASE SAVEPOINT prepared", "SELECT param")
        return 2 + sum(1 for sql in self.sent if not sql.startswith(first_use))  # BEGIN, COMMIT


def statement_counts(world, orders: int) -> list[tuple]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    asset = world["asset"]
    results = []
    client0 = world["clients"][0]
    targets = (
        ("fresh account", client0["fresh_user"], client0["fresh_account"]),
        ("1,000 trades", client0["h1k_user"], client0["h1k_account"]),
        ("10,000 trades", client0["h10k_user"], client0["h10k_account"]),
    )
    for label, user, account in targets:
        api = APIClient(HTTP_HOST="127.0.0.1")
        api.force_authenticate(user)
        samples = {"buy": [], "sell": []}
        for n in range(2 * orders):
            side = "buy" if n % 2 == 0 else "sell"
            body = {"account_id": account.pk, "symbol": asset.symbol, "side": side, "quantity": "1"}
            with CaptureQueriesContext(connection) as queries, RedisRoundTrips() as trips:
                start = time.perf_counter()
                response = api.post("/api/paper-trading/trades/", body, format="json")
                elapsed = time.perf_counter() - start
            assert response.status_code == 201, response.content[:300]
            captured = list(queries.captured_queries)  # read from the log the next request clears
            with DatabaseRoundTrips() as database:  # the next order, as production sends it
                again = api.post("/api/paper-trading/trades/", body, format="json")
            assert again.status_code == 201, again.content[:300]
            writes = sum(
                1
                for q in captured
                if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
            )
            samples[side].append((elapsed, len(captured), writes, trips.count, database.count))
        for side, what in (("buy", "opens a position"), ("sell", "closes it")):
            rows = samples[side]
            results.append(
                (
                    label,
                    what,
                    statistics.median(r[0] for r in rows) * 1000,
                    statistics.median(r[1] for r in rows),
                    statistics.median(r[2] for r in rows),
                    statistics.median(r[3] for r in rows),
                    statistics.median(r[4] for r in rows),
                )
            )
    return results


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench13_api")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--port", type=int, default=8713)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slice", type=float, default=6.0, help="seconds per scenario per round")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=2000,
        help="at most this many requests per scenario per round",
    )
    parser.add_argument("--history-small", type=int, default=1000)
    parser.add_argument("--history-large", type=int, default=10000)
    parser.add_argument(
        "--serial",
        type=int,
        default=0,
        help="also N one-at-a-time requests per scenario and statement counts",
    )
    parser.add_argument("--json", help="write the results here as JSON too")
    args = parser.parse_args()
    args.secret_key = secrets.token_urlsafe(50)

    env = server_environment(args)
    os.environ.update(env)
    warnings.filterwarnings("ignore", message="No directory at")
    from _seed import ensure_database

    ensure_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    world = seed(args)
    scenarios, tokens = scenarios_build(world)
    base = f"http://127.0.0.1:{args.port}"
    process = server_start(args, env)
    results: dict = {"args": {k: v for k, v in vars(args).items() if k != "secret_key"}}
    try:
        server_wait(base, tokens[("fresh", 0)], process)
        import requests

        # Warm-up: every scenario once per client's first account (stores the candle window,
        # loads each worker's code paths) — not measured.
        session = requests.Session()
        counters = {(s.name, i): 0 for s in scenarios for i in range(args.clients)}
        for scenario in scenarios:
            for i in range(min(args.clients, args.workers * 2)):
                response, _ = request(session, base, scenario, i, counters[(scenario.name, i)])
                counters[(scenario.name, i)] += 1
                if response.status_code >= 400:
                    raise SystemExit(
                        f"{scenario.name}: {response.status_code} {response.text[:300]}"
                    )
        print(
            f"load: {args.clients} clients, {args.rounds} rounds × {len(scenarios)} "
            f"scenarios × {args.slice:g} s, gunicorn --workers {args.workers}",
            flush=True,
        )
        started = time.perf_counter()
        for round_number in range(args.rounds):
            for scenario in scenarios:
                run_slice(base, scenario, args.clients, args.slice, args.max_requests, counters)
            print(
                f"  round {round_number + 1} done at {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        serial = {}
        if args.serial:
            for scenario in scenarios:
                times = []
                for _ in range(args.serial):
                    n = counters[(scenario.name, 0)]
                    counters[(scenario.name, 0)] = n + 1
                    response, elapsed = request(session, base, scenario, 0, n)
                    if response.status_code < 400:
                        times.append(elapsed)
                serial[scenario.name] = statistics.median(times) * 1000 if times else None
    finally:
        server_stop(process)

    print()
    print(
        f"{'request':<66} {'n':>5} {'err':>4} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}"
        + ("  serial p50 ms" if args.serial else "")
    )
    table = {}
    for s in scenarios:
        rate = len(s.latencies) / s.wall if s.wall else 0.0
        p50, p99 = percentile(s.latencies, 0.50) * 1000, percentile(s.latencies, 0.99) * 1000
        errors = sum(s.errors.values())
        table[s.name] = {
            "label": s.label,
            "n": len(s.latencies),
            "errors": s.errors,
            "rps": rate,
            "p50_ms": p50,
            "p99_ms": p99,
            "wall_s": s.wall,
            "cpu_ms": s.cpu / len(s.latencies) * 1000 if s.latencies else None,
            "serial_p50_ms": serial.get(s.name) if args.serial else None,
        }
        line = (
            f"{s.label:<66} {len(s.latencies):>5} {errors:>4} {rate:>7.1f} {p50:>8.0f} {p99:>8.0f}"
        )
        if args.serial and serial.get(s.name) is not None:
            line += f"  {serial[s.name]:>12.0f}"
        print(line)
        if s.errors:
            print(f"    errors {s.errors}: {s.first_error}")
    results["table"] = table

    def ratio(a, b):
        return table[a]["rps"] / table[b]["rps"] if table[b]["rps"] else float("nan")

    pairs = {
        "order_shared / profile throughput (goal >= 0.5)": ("order_shared", "profile"),
        "order_own / profile throughput (goal >= 0.5)": ("order_own", "profile"),
        "order cost at 1,000 trades / fresh (goal <= 1.15)": ("order_own", "order_1k"),
        "order cost at 10,000 trades / fresh (goal <= 1.15)": ("order_own", "order_10k"),
        "trades list at 10,000 / profile throughput (goal >= 0.5)": ("trades_10k", "profile"),
        "trades list at 1,000 / profile throughput": ("trades_1k", "profile"),
    }
    ratios = {name: ratio(a, b) for name, (a, b) in pairs.items()}
    # The same ratios round by round: the machine's drift between rounds (other tenants of
    # the host) shows as their spread; the median is the run's figure least moved by it.
    by_name = {s.name: s for s in scenarios}
    per_round = {
        name: [x / y for x, y in zip(by_name[a].rounds, by_name[b].rounds, strict=True) if y]
        for name, (a, b) in pairs.items()
    }
    if args.serial:
        for name in ("order_1k", "order_10k"):
            if serial.get(name) and serial.get("order_own"):
                ratios[f"serial p50 {name} / order_own (goal <= 1.15)"] = (
                    serial[name] / serial["order_own"]
                )
    print()
    # Throughput on a saturated machine is its cores over each request's CPU: the CPU spent
    # per request gives the same ratios without the host's noise (time stolen by other
    # tenants is not CPU this machine spent).
    cpu_ratios = {
        name: table[b]["cpu_ms"] / table[a]["cpu_ms"]
        for name, (a, b) in pairs.items()
        if table[a]["cpu_ms"] and table[b]["cpu_ms"]
    }
    print(
        "CPU of the whole machine per request (ms): "
        + ", ".join(
            f"{s.name} {table[s.name]['cpu_ms']:.2f}" for s in scenarios if table[s.name]["cpu_ms"]
        )
    )
    print(
        "ratios (cost = 1 / throughput): whole run; median of the rounds [lowest, highest];"
        " from the CPU per request"
    )
    for name, value in ratios.items():
        rounds = per_round.get(name)
        spread = (
            f"; {statistics.median(rounds):.3f} [{min(rounds):.3f}, {max(rounds):.3f}]"
            if rounds
            else ""
        )
        by_cpu = f"; {cpu_ratios[name]:.3f}" if name in cpu_ratios else ""
        print(f"  {name}: {value:.3f}{spread}{by_cpu}")
    results["ratios"] = ratios
    results["ratios_by_cpu"] = cpu_ratios
    results["ratios_per_round"] = per_round

    if args.serial:
        counts = statement_counts(world, args.serial)
        print()
        print(
            "one market order in-process (median of "
            f"{args.serial}; SQL statements, of which writes; PostgreSQL round trips as "
            "production sends them, BEGIN and COMMIT included; Redis round trips):"
        )
        for label, what, ms, sql, writes, trips, database in counts:
            print(
                f"  {label:<14} order that {what:<17}: {ms:6.1f} ms, {sql:g} SQL "
                f"({writes:g} writes), {database:g} PostgreSQL and {trips:g} Redis round trips"
            )
        results["statements"] = counts
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
