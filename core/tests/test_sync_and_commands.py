"""Asset sync (service, staff endpoint, status), provider status, management commands and
the quote polling task."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from core import hooks
from core.models import Asset, Candle, WatchList, WatchListAsset
from core.quotes import quotes_get
from core.services.assets import SYNC_LOCK_KEY, assets_sync
from core.tasks import quotes_poll_task
from core.tests import alpaca_stubs as stubs
from core.tests.conftest import NOW


def test_a_sync_from_alpaca_creates_updates_and_deactivates(alpaca, http, db):
    stale = Asset.objects.create(symbol="AAPL", name="Old name", exchange="NASDAQ")
    gone = Asset.objects.create(symbol="GONE", name="Delisted Inc.")
    stubs.stub_assets(http)
    result = assets_sync()
    stale.refresh_from_db()
    gone.refresh_from_db()
    assert stale.name == "Apple Inc. Common Stock" and stale.easy_to_borrow
    assert (gone.status, gone.tradable) == ("inactive", False)
    assert Asset.objects.get(symbol="BTC/USD").asset_class == "crypto"
    assert (result.created, result.updated, result.deactivated) == (2, 1, 1)


def test_a_failed_sync_writes_nothing(alpaca, http, db):
    Asset.objects.create(symbol="KEEP", name="Kept")
    http.get(f"{stubs.TRADING}/assets", status=500, body="oops")
    with pytest.raises(Exception, match="unavailable"):
        assets_sync()
    assert list(Asset.objects.values_list("symbol", "status")) == [("KEEP", "active")]
    assert cache.get(SYNC_LOCK_KEY) is None


def test_the_sync_endpoint_is_for_staff(alice, client_for, db):
    response = client_for(alice).post("/api/core/alpaca/sync_assets/")
    assert response.status_code == 403
    assert not Asset.objects.exists()


def test_staff_start_a_sync_and_see_its_status(staff, client_for, db):
    client = client_for(staff)
    response = client.post("/api/core/alpaca/sync_assets/")
    assert response.status_code == 202
    assert response.json()["data"]["total_assets"] >= 50  # eager Celery ran it
    status = client.get("/api/core/alpaca/sync_status/").json()["data"]
    assert status["needs_sync"] is False and status["is_syncing"] is False
    assert status["last_sync_at"] is not None


def test_a_second_sync_while_one_runs_is_a_conflict(staff, client_for, db):
    cache.set(SYNC_LOCK_KEY, "now")
    response = client_for(staff).post("/api/core/alpaca/sync_assets/")
    assert response.status_code == 409
    assert response.json()["code"] == "SYNC_IN_PROGRESS"


def test_the_sync_endpoint_answers_503_when_alpaca_is_down(staff, client_for, alpaca, http):
    http.get(f"{stubs.TRADING}/assets", body=ConnectionError("refused"))
    response = client_for(staff).post("/api/core/alpaca/sync_assets/")
    assert response.status_code == 503
    assert response.json()["code"] == "MARKET_DATA_UNAVAILABLE"


def test_a_fresh_install_needs_a_sync(alice, client_for, db):
    status = client_for(alice).get("/api/core/alpaca/sync_status/").json()["data"]
    assert status == {
        "last_sync_at": None,
        "total_assets": 0,
        "needs_sync": True,
        "is_syncing": False,
    }


def test_the_connection_status_names_the_provider(alice, client_for, frozen, aapl):
    client = client_for(alice)
    client.get(f"/api/core/assets/{aapl.id}/quote/")
    body = client.get("/api/core/alpaca/").json()
    assert body["data"] == [
        {
            "provider": "simulated",
            "connected": True,
            "feed": "simulated",
            "last_quote_at": "2026-11-25T15:33:07Z",
        }
    ]


def test_the_alpaca_connection_status_follows_the_last_call(alice, client_for, alpaca, http):
    http.get(f"{stubs.TRADING}/clock", json=stubs.CLOCK_OPEN)
    client = client_for(alice)
    client.get("/api/core/market/clock/")
    row = client.get("/api/core/alpaca/").json()["data"][0]
    assert (row["provider"], row["connected"], row["feed"]) == ("alpaca", True, "iex")


def test_sync_assets_command_reports_counts(db):
    out = StringIO()
    call_command("sync_assets", stdout=out)
    assert "created" in out.getvalue()
    assert Asset.objects.filter(symbol="AAPL").exists()


def test_backfill_candles_stores_the_requested_days(frozen, aapl, btc):
    call_command(
        "backfill_candles", "aapl", "BTC/USD", "--timeframe", "1H", "--days", "3", stdout=StringIO()
    )
    assert Candle.objects.filter(asset=aapl, timeframe="1H").count() >= 70
    assert Candle.objects.filter(asset=btc, timeframe="1H").count() >= 70


def test_backfill_candles_rejects_unknown_symbols_and_timeframes(frozen, aapl):
    with pytest.raises(CommandError, match="Unknown symbols: NOPE"):
        call_command("backfill_candles", "NOPE", stdout=StringIO())
    with pytest.raises(CommandError, match="Allowed"):
        call_command("backfill_candles", "AAPL", "--timeframe", "2H", stdout=StringIO())


@pytest.fixture
def watched(alice, aapl, btc):
    watchlist = WatchList.objects.create(user=alice, name="Main", is_default=True)
    WatchListAsset.objects.create(watchlist=watchlist, asset=aapl)
    WatchListAsset.objects.create(watchlist=watchlist, asset=btc)


@pytest.fixture
def heard():
    calls = []
    hooks.register_quote_listener(calls.append)
    yield calls
    hooks.unregister_quote_listener(calls.append)


def test_stream_quotes_ticks_the_simulated_market(frozen, watched, heard):
    call_command("stream_quotes", "--iterations", "2", "--interval", "0", stdout=StringIO())
    assert set(quotes_get(["AAPL", "BTC/USD"])) == {"AAPL", "BTC/USD"}
    assert heard == [["AAPL", "BTC/USD"], ["AAPL", "BTC/USD"]]


def test_stream_messages_update_the_cache_and_call_the_hook(frozen, heard, db):
    from core.management.commands.stream_quotes import store_stream_quote, store_stream_trade

    store_stream_quote("AAPL", 230.1, 230.2, NOW)
    store_stream_trade("AAPL", 230.15, NOW)
    quote = quotes_get(["AAPL"])["AAPL"]
    assert (str(quote.bid), str(quote.ask), str(quote.last)) == ("230.1", "230.2", "230.15")
    assert heard == [["AAPL"], ["AAPL"]]


def test_the_polling_task_refreshes_what_matters(frozen, watched, heard):
    assert quotes_poll_task.delay().get() == 2
    assert heard == [["AAPL", "BTC/USD"]]


def test_the_polling_task_stands_down_while_the_stream_runs(frozen, watched, heard):
    from core.services.quotes import stream_heartbeat

    stream_heartbeat()
    assert quotes_poll_task.delay().get() == 0
    assert heard == []


# --- the Alpaca stream's heartbeat (the loop's decision, without a websocket) ----------------


def _thread(alive: bool):
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    if not alive:
        stop.set()
        thread.join()
    return thread, stop


@pytest.fixture
def stream_threads():
    made = []

    def make(*alive):
        pairs = [_thread(state) for state in alive]
        made.extend(stop for _, stop in pairs)
        return [thread for thread, _ in pairs]

    yield make
    for stop in made:
        stop.set()


def pulse(threads, *, last_message_at, now, started_at=0.0):
    from core.management.commands.stream_quotes import stream_pulse

    return stream_pulse(
        threads=threads, last_message_at=last_message_at, started_at=started_at, now=now
    )


def test_a_live_stream_that_hears_messages_keeps_the_polling_task_down(
    frozen, watched, heard, stream_threads
):
    assert pulse(stream_threads(True, True), last_message_at=95.0, now=100.0)
    assert quotes_poll_task.delay().get() == 0


def test_a_dead_stream_thread_lets_the_polling_task_take_over(
    frozen, watched, heard, stream_threads
):
    assert not pulse(stream_threads(True, False), last_message_at=99.0, now=100.0)
    assert quotes_poll_task.delay().get() == 2


def test_a_silent_stream_lets_the_polling_task_take_over(frozen, watched, heard, stream_threads):
    assert not pulse(stream_threads(True, True), last_message_at=0.0, now=1000.0)
    assert quotes_poll_task.delay().get() == 2


def test_a_stream_just_started_beats_before_its_first_message(stream_threads, db):
    threads = stream_threads(True, True)
    assert pulse(threads, last_message_at=None, started_at=100.0, now=110.0)
    assert not pulse(threads, last_message_at=None, started_at=100.0, now=1000.0)


def test_the_sync_status_remembers_a_sync_run_by_another_process(alice, client_for, frozen):
    call_command("sync_assets", stdout=StringIO())
    cache.clear()  # another process's in-memory cache, or Redis evicting keys
    status = client_for(alice).get("/api/core/alpaca/sync_status/").json()["data"]
    assert status["last_sync_at"] == "2026-11-25T15:33:07Z"
    assert status["needs_sync"] is False
