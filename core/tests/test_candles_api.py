"""GET /api/core/assets/{id}/candles_v2/: timeframes, newest-first pages, the live bar, the
read-through store, bad input and provider failures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.renderers import JSONRenderer

from core.api.serializers import CandleSerializer
from core.models import Candle, CandleRange
from core.providers import get_provider
from core.tests import alpaca_stubs as stubs
from core.tests.conftest import NOW


def url(asset):
    return f"/api/core/assets/{asset.id}/candles_v2/"


@pytest.mark.parametrize("tf", ["1", "5", "15", "30", "60", "240", "1440", "1T", "1H", "4H", "1D"])
def test_every_documented_timeframe_answers(alice, client_for, aapl, frozen, tf):
    response = client_for(alice).get(url(aapl), {"tf": tf, "limit": 3})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_bars_come_newest_first_with_long_and_short_keys(alice, client_for, aapl, frozen):
    body = client_for(alice).get(url(aapl), {"tf": "1", "limit": 5}).json()
    stamps = [bar["date"] for bar in body["results"]]
    assert stamps == sorted(stamps, reverse=True)
    newest = body["results"][0]
    assert set(newest) == {
        "date",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "t",
        "o",
        "h",
        "l",
        "c",
        "v",
    }
    assert (newest["t"], newest["c"], newest["o"]) == (
        newest["date"],
        newest["close"],
        newest["open"],
    )
    assert newest["date"] == "2026-11-25T15:33:00Z"  # the forming minute
    assert body["next"] is not None


def test_the_newest_bar_carries_the_live_price(alice, client_for, aapl, frozen):
    client = client_for(alice)
    for _ in range(3):
        bar = client.get(url(aapl), {"tf": "1", "limit": 1}).json()["results"][0]
        quote = client.get(f"/api/core/assets/{aapl.id}/quote/").json()["data"]
        assert bar["c"] == quote["last"]
        assert Decimal(bar["l"]) <= Decimal(quote["last"]) <= Decimal(bar["h"])
        frozen.shift(timedelta(seconds=2))


def test_pages_walk_back_without_gaps_or_overlaps(alice, client_for, aapl, frozen):
    client = client_for(alice)
    first = client.get(url(aapl), {"tf": "5", "limit": 4}).json()
    second = client.get(first["next"]).json()
    stamps = [bar["date"] for bar in first["results"] + second["results"]]
    assert len(set(stamps)) == 8
    assert stamps == sorted(stamps, reverse=True)


def test_completed_bars_are_stored_once_and_not_fetched_again(alice, client_for, aapl, frozen):
    client = client_for(alice)
    client.get(url(aapl), {"tf": "1D", "limit": 10})
    stored = Candle.objects.filter(asset=aapl, timeframe="1D").count()
    ranges = list(CandleRange.objects.values_list("start", "end"))
    assert stored >= 10
    client.get(url(aapl), {"tf": "1D", "limit": 10})
    assert Candle.objects.filter(asset=aapl, timeframe="1D").count() == stored
    assert list(CandleRange.objects.values_list("start", "end")) == ranges


def test_a_page_costs_a_fixed_number_of_queries(
    alice, client_for, aapl, frozen, django_assert_num_queries
):
    client = client_for(alice)
    client.get(url(aapl), {"tf": "1", "limit": 50})
    with django_assert_num_queries(3):  # user, asset, page (with the window's count, coverage)
        client.get(url(aapl), {"tf": "1", "limit": 50})


def test_start_and_end_select_a_closed_range(alice, client_for, aapl, frozen):
    start, end = NOW - timedelta(hours=3), NOW - timedelta(hours=2)
    body = (
        client_for(alice)
        .get(url(aapl), {"tf": "15", "start": start.isoformat(), "end": end.isoformat()})
        .json()
    )
    assert body["count"] == 4
    assert body["results"][0]["date"] == "2026-11-25T13:30:00Z"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tf": "7"}, "tf"),
        ({"tf": "2H"}, "tf"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5001"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"start": "yesterday"}, "start"),
        ({"start": "2026-11-25T12:00:00Z", "end": "2026-11-25T11:00:00Z"}, "start"),
        ({"tf": "1", "start": "2016-01-01T00:00:00Z"}, "start"),  # far more than 50,000 bars
        ({"offset": "49000", "limit": "5000"}, "offset"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(alice, client_for, aapl, frozen, params, field):
    response = client_for(alice).get(url(aapl), params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_bad_timeframe_lists_the_allowed_values(alice, client_for, aapl, frozen):
    body = client_for(alice).get(url(aapl), {"tf": "7"}).json()
    assert body["code"] == "INVALID_TIMEFRAME"
    assert "1, 5, 15, 30, 60, 240, 1440" in body["msg"] and "1D" in body["msg"]


def test_an_unknown_asset_is_404(alice, client_for, frozen, db):
    assert client_for(alice).get("/api/core/assets/424242/candles_v2/").status_code == 404


def test_with_nyse_hours_a_closed_market_shows_the_last_session(
    alice, client_for, aapl, frozen, settings
):
    settings.SIMULATED_MARKET_HOURS = "nyse"
    frozen.move_to(NOW + timedelta(days=1))  # Thanksgiving
    body = client_for(alice).get(url(aapl), {"tf": "1", "limit": 2}).json()
    assert body["results"][0]["date"] == "2026-11-25T20:59:00Z"  # Wednesday's last minute


def test_alpaca_bars_are_served_and_stored(alice, client_for, aapl, frozen, alpaca, http):
    day = [
        stubs.bar(f"2026-11-{d}T05:00:00Z", 230 + d, 232 + d, 229 + d, 231 + d, 5e7)
        for d in range(10, 25)
    ]
    stubs.stub_bars(http, "AAPL", [day[:8], day[8:]])
    stubs.stub_bars(http, "AAPL", [[stubs.bar("2026-11-25T05:00:00Z", 255, 257, 254, 255.5, 1e7)]])
    stubs.stub_latest(
        http,
        {"AAPL": stubs.stock_quote("2026-11-25T15:33:05Z", 256.1, 256.3)},
        {"AAPL": stubs.stock_trade("2026-11-25T15:33:06Z", 256.2)},
    )
    body = client_for(alice).get(url(aapl), {"tf": "1D", "limit": 3}).json()
    assert [bar["c"] for bar in body["results"]] == [256.2, 255, 254]
    assert body["results"][0]["date"] == "2026-11-25T05:00:00Z"  # today's, with the live price
    assert body["results"][0]["h"] == 257
    assert Candle.objects.filter(asset=aapl, timeframe="1D").count() == 15


def test_a_provider_failure_is_a_503_and_writes_nothing(
    alice, client_for, aapl, frozen, alpaca, http
):
    http.get(f"{stubs.DATA}/stocks/bars", status=500, body="internal error")
    response = client_for(alice).get(url(aapl), {"tf": "1D", "limit": 3})
    assert response.status_code == 503
    assert response.json()["code"] == "MARKET_DATA_UNAVAILABLE"
    assert not Candle.objects.exists() and not CandleRange.objects.exists()


def test_the_simulated_provider_is_the_default_without_keys(db):
    assert get_provider().name == "simulated"


def _dates(client, asset, **params):
    return [bar["date"] for bar in client.get(url(asset), params).json()["results"]]


def test_a_range_answers_the_same_before_and_after_its_neighbour_is_fetched(
    alice, client_for, aapl, frozen
):
    client = client_for(alice)
    morning = {"tf": "15", "start": "2026-11-25T12:00:00Z", "end": "2026-11-25T13:00:00Z"}
    before = _dates(client, aapl, **morning)
    _dates(client, aapl, tf="15", start="2026-11-25T13:00:00Z", end="2026-11-25T14:00:00Z")
    assert _dates(client, aapl, **morning) == before


def test_start_is_inclusive_and_end_exclusive(alice, client_for, aapl, frozen):
    dates = _dates(
        client_for(alice), aapl, tf="15", start="2026-11-25T12:00:00Z", end="2026-11-25T13:00:00Z"
    )
    assert dates == [
        "2026-11-25T12:45:00Z",
        "2026-11-25T12:30:00Z",
        "2026-11-25T12:15:00Z",
        "2026-11-25T12:00:00Z",
    ]


def test_a_range_ending_before_the_forming_bar_leaves_it_out(alice, client_for, aapl, frozen):
    end = (NOW - timedelta(seconds=30)).isoformat()  # 15:32:37, inside the 15:32 bar
    dates = _dates(client_for(alice), aapl, tf="1", limit=2, end=end)
    assert dates == ["2026-11-25T15:32:00Z", "2026-11-25T15:31:00Z"]


def test_a_bad_timeframe_names_the_field_once(alice, client_for, aapl, frozen):
    body = client_for(alice).get(url(aapl), {"tf": "2"}).json()
    message = "'2' is not a valid timeframe. Allowed: 1, 5, 15, 30, 60, 240, 1440, 1T, 5T, 15T, "
    message += "30T, 1H, 4H, 1D."
    assert body["errors"] == {"tf": [message]}
    assert body["msg"] == body["detail"] == f"tf: {message}"


def test_prices_and_volume_are_json_numbers_the_chart_can_use(alice, client_for, aapl, frozen):
    """The web app's chart calls `.toFixed` on o/h/l/c and hands `volume` to
    lightweight-charts: a string there blanks the page (SPA-CONTRACT.md §2)."""
    response = client_for(alice).get(url(aapl), {"tf": "1", "limit": 20})
    for bar in response.json()["results"]:
        for key in ("open", "high", "low", "close", "volume", "o", "h", "l", "c", "v"):
            assert isinstance(bar[key], int | float) and not isinstance(bar[key], bool), key
        assert bar["l"] <= min(bar["o"], bar["c"]) <= max(bar["o"], bar["c"]) <= bar["h"]


def test_a_decimal_price_is_written_without_float_noise(alice, client_for, aapl, frozen):
    """242.5 stays `242.5` in the JSON text (never 242.49999999999997): the stored Decimal
    is written as the shortest number that reads back as itself."""
    Candle.objects.create(
        asset=aapl,
        timeframe="1D",
        timestamp=NOW.replace(hour=5, minute=0, second=0, microsecond=0) - timedelta(days=3),
        open=Decimal("242.49"),
        high=Decimal("242.51"),
        low=Decimal("0.29667"),
        close=Decimal("242.50"),
        volume=Decimal("6136"),
    )
    bar = Candle.objects.get(asset=aapl, timeframe="1D")
    text = JSONRenderer().render(CandleSerializer(bar).data).decode()
    assert '"close":242.5,' in text
    assert '"low":0.29667,' in text
    assert '"volume":6136,' in text


def test_a_jump_deep_into_history_does_bounded_work_per_request(alice, client_for, aapl, frozen):
    """offset=49000 used to fetch and insert ~49,500 bars inside one request (13 s). Each
    request now stores at most FETCH_BUDGET_BARS bars and answers 503 CANDLES_LOADING with
    Retry-After until the window is loaded; then the page is served."""
    from core.services.candles import FETCH_BUDGET_BARS

    client = client_for(alice)
    params = {"tf": "1", "offset": 15000, "limit": 500}
    statuses = []
    for _ in range(6):
        before = Candle.objects.count()
        response = client.get(url(aapl), params)
        assert Candle.objects.count() - before <= FETCH_BUDGET_BARS
        statuses.append(response.status_code)
        if response.status_code != 503:
            break
        assert response.json()["code"] == "CANDLES_LOADING"
        assert response["Retry-After"] == "1"

    assert statuses[0] == 503
    assert statuses[-1] == 200
    body = response.json()
    assert len(body["results"]) == 500
    stamps = [bar["date"] for bar in body["results"]]
    assert stamps == sorted(stamps, reverse=True)


def test_a_long_range_is_loaded_over_a_few_requests(alice, client_for, aapl, frozen):
    params = {"tf": "1", "start": (NOW - timedelta(days=20)).isoformat(), "limit": 10}

    first = client_for(alice).get(url(aapl), params)

    assert first.status_code == 503
    assert first.json()["code"] == "CANDLES_LOADING"


def test_market_data_is_throttled_per_user(alice, bob, client_for, aapl, frozen, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "candles": "2/min"},
    }
    client = client_for(alice)
    statuses = [client.get(url(aapl), {"tf": "1D", "limit": 2}).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client_for(bob).get(url(aapl), {"tf": "1D", "limit": 2}).status_code == 200


def test_a_cold_page_that_fits_the_fetch_budget_is_served_at_once(
    alice, client_for, aapl, frozen, settings
):
    """With NYSE hours the lookback overshoots on purpose, so the budget may run out on older
    bars than the page needs: the page is served, not a 503 CANDLES_LOADING."""
    settings.SIMULATED_MARKET_HOURS = "nyse"
    response = client_for(alice).get(url(aapl), {"tf": "1", "limit": 5000})
    assert response.status_code == 200, response.json()
    assert len(response.json()["results"]) == 5000
