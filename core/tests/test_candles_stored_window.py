"""GET /api/core/assets/{id}/candles_v2/ on a window already stored: one query reads the page
with the window's count and coverage, and the answer is byte for byte the one the read-through
path (fetch the gaps, store, count, read) gives for the same bars."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Candle, CandleRange
from core.tests.conftest import NOW

HOURS_AGO = {  # 09:03 to 10:03 in New York: the NYSE opens within it
    "start": (NOW - timedelta(minutes=90)).isoformat(),
    "end": (NOW - timedelta(minutes=30)).isoformat(),
}

CASES = {
    "the live window": {"tf": "1", "limit": 100},
    "the forming bar alone": {"tf": "1", "limit": 1},
    "start and end": {"tf": "5", **HOURS_AGO},
    "start alone": {"tf": "15", "start": HOURS_AGO["start"], "limit": 7},
    "a later page by offset": {"tf": "5", "limit": 20, "offset": 40},
    "a later page by number": {"tf": "1", "page": 3, "page_size": 25},
    "end in the past": {"tf": "1", "limit": 30, "end": HOURS_AGO["end"]},
    "daily bars": {"tf": "1D", "limit": 10},
}


def url(asset):
    return f"/api/core/assets/{asset.id}/candles_v2/"


def _get(client, asset, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(asset), params)
    assert response.status_code == 200, response.content
    return response.content, len(queries)


@pytest.mark.parametrize("hours", ["always", "nyse"])
@pytest.mark.parametrize("params", CASES.values(), ids=CASES.keys())
def test_a_stored_window_answers_in_three_queries_what_the_read_through_answered(
    alice, client_for, aapl, frozen, settings, hours, params
):
    settings.SIMULATED_MARKET_HOURS = hours
    client = client_for(alice)
    read_through, queries = _get(client, aapl, params)
    assert queries > 3 and CandleRange.objects.exists()  # fetched and stored

    stored, queries = _get(client, aapl, params)

    assert queries <= 3  # the user, the asset, the page with the window's count and coverage
    assert stored == read_through


def test_a_window_with_a_gap_is_fetched_again_not_served_from_the_store(
    alice, client_for, btc, frozen
):
    client = client_for(alice)
    params = {"tf": "1", "limit": 100}
    before, _ = _get(client, btc, params)
    covered = CandleRange.objects.get(asset=btc, timeframe="1T")
    minute = NOW.replace(second=0)
    hole = (minute - timedelta(minutes=40), minute - timedelta(minutes=30))
    Candle.objects.filter(asset=btc, timestamp__gte=hole[0], timestamp__lt=hole[1]).delete()
    CandleRange.objects.filter(pk=covered.pk).delete()
    CandleRange.objects.create(asset=btc, timeframe="1T", start=covered.start, end=hole[0])
    CandleRange.objects.create(asset=btc, timeframe="1T", start=hole[1], end=covered.end)

    after, queries = _get(client, btc, params)

    refilled = Candle.objects.filter(asset=btc, timestamp__gte=hole[0], timestamp__lt=hole[1])
    assert queries > 3 and refilled.count() == 10
    assert CandleRange.objects.filter(asset=btc, timeframe="1T").count() == 1
    assert after == before


def test_a_longer_page_fetches_the_older_bars_then_answers_them_from_the_store(
    alice, client_for, btc, frozen
):
    client = client_for(alice)
    _get(client, btc, {"tf": "1", "limit": 10})
    stored_before = Candle.objects.count()

    grown, queries = _get(client, btc, {"tf": "1", "limit": 300})

    assert queries > 3 and Candle.objects.count() > stored_before
    assert _get(client, btc, {"tf": "1", "limit": 300}) == (grown, 3)


def test_a_window_not_stored_yet_is_fetched_and_stored(alice, client_for, btc, frozen):
    body, _ = _get(client_for(alice), btc, {"tf": "1", "limit": 100})

    assert Candle.objects.filter(asset=btc, timeframe="1T").count() >= 100
    assert CandleRange.objects.filter(asset=btc, timeframe="1T").exists()
    assert len(json.loads(body)["results"]) == 100


def test_a_stored_window_without_bars_answers_in_three_queries(
    alice, client_for, aapl, frozen, settings
):
    settings.SIMULATED_MARKET_HOURS = "nyse"
    client = client_for(alice)
    before_the_open = {"tf": "1", "start": "2026-11-25T13:00:00Z", "end": "2026-11-25T14:00:00Z"}
    read_through, _ = _get(client, aapl, before_the_open)  # stores the range, and no bar
    _get(client, aapl, {"tf": "1", "limit": 500})  # stores older bars: one brings the count

    stored, queries = _get(client, aapl, before_the_open)

    assert b'"count":0' in stored
    assert (stored, queries) == (read_through, 3)


@pytest.mark.parametrize("tf", ["1", "15", "1D"])
def test_the_bars_json_is_the_candle_serializers_to_the_character(
    alice, client_for, aapl, btc, frozen, tf
):
    """candles_v2 formats its bars without DRF's per-key lookups (issue 13); the JSON must
    stay CandleSerializer's: the same keys in the same order, numbers as numbers, for live
    bars and stored ones, equities and crypto (fractional volumes)."""
    from rest_framework.renderers import JSONRenderer

    from core.api.serializers import CandleSerializer, candle_rows_output
    from core.services.candles import candles_window
    from core.timeframes import timeframe_parse

    client = client_for(alice)
    for asset in (aapl, btc):
        client.get(url(asset), {"tf": tf, "limit": 60})  # stores what is complete
        window = candles_window(asset=asset, timeframe=timeframe_parse(tf), bars=60)
        bars = list(window[0:60])
        assert any(isinstance(bar, Candle) for bar in bars)
        expected = JSONRenderer().render(CandleSerializer(bars, many=True).data)
        assert JSONRenderer().render(candle_rows_output(bars)) == expected
        served = json.loads(client.get(url(asset), {"tf": tf, "limit": 60}).content)
        assert served["results"] == json.loads(expected)
