"""GET /api/core/assets/, /assets/{id}/, /assets/symbol/{symbol}/, /assets/stats/."""

import pytest

from core.models import Asset

URL = "/api/core/assets/"


@pytest.fixture
def listed(db):
    rows = [
        ("AAPL", "Apple Inc.", "NASDAQ", "us_equity", True),
        ("AAP", "Advance Auto Parts", "NYSE", "us_equity", True),
        ("MSFT", "Microsoft", "NASDAQ", "us_equity", True),
        ("PINE", "Saapland Pine Corp", "NASDAQ", "us_equity", False),
        ("BTC/USD", "Bitcoin / US Dollar", "CRYPTO", "crypto", True),
    ]
    return {
        symbol: Asset.objects.create(
            symbol=symbol, name=name, exchange=exchange, asset_class=cls, tradable=tradable
        )
        for symbol, name, exchange, cls, tradable in rows
    }


def symbols(response):
    return [item["symbol"] for item in response.json()["results"]]


def test_it_needs_a_signed_in_user(api_client, listed):
    assert api_client.get(URL).status_code == 401


def test_it_lists_assets_paginated_with_the_documented_fields(alice, client_for, listed):
    response = client_for(alice).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert set(body["results"][0]) == {
        "id",
        "symbol",
        "name",
        "asset_class",
        "exchange",
        "status",
        "tradable",
        "shortable",
        "fractionable",
        "easy_to_borrow",
        "marginable",
    }


def test_search_ranks_symbol_matches_before_name_matches(alice, client_for, listed):
    response = client_for(alice).get(URL, {"search": "aap"})
    assert symbols(response) == ["AAP", "AAPL", "PINE"]  # PINE: "Saapland" in the name


def test_filters_by_class_exchange_and_tradable(alice, client_for, listed):
    client = client_for(alice)
    assert symbols(client.get(URL, {"asset_class": "crypto"})) == ["BTC/USD"]
    assert symbols(client.get(URL, {"exchange": "nyse"})) == ["AAP"]
    assert symbols(client.get(URL, {"tradable": "false"})) == ["PINE"]


def test_ordering_is_honoured(alice, client_for, listed):
    response = client_for(alice).get(URL, {"ordering": "-name"})
    assert symbols(response)[0] == "PINE"


def test_an_unknown_asset_class_is_rejected_with_the_allowed_values(alice, client_for, listed):
    response = client_for(alice).get(URL, {"asset_class": "bonds"})
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert "asset_class" in response.json()["errors"]


def test_limit_and_offset_page_the_list(alice, client_for, listed):
    body = client_for(alice).get(URL, {"limit": 2, "offset": 2}).json()
    assert [item["symbol"] for item in body["results"]] == ["BTC/USD", "MSFT"]
    assert body["next"] and body["previous"]


def test_the_list_costs_a_fixed_number_of_queries(
    alice, client_for, listed, django_assert_num_queries
):
    client = client_for(alice)
    client.get(URL)  # the seeding check is cached after the first request
    for i in range(20):
        Asset.objects.create(symbol=f"X{i}", name=f"Extra {i}")
    with django_assert_num_queries(3):  # user, count, page
        client.get(URL, {"search": "x"})


def test_an_empty_table_fills_itself_from_the_simulated_market(alice, client_for):
    body = client_for(alice).get(URL, {"search": "AAPL"}).json()
    assert body["results"][0]["symbol"] == "AAPL"
    assert Asset.objects.count() >= 50


def test_detail_adds_timestamps(alice, client_for, listed):
    response = client_for(alice).get(f"{URL}{listed['AAPL'].id}/")
    assert response.status_code == 200
    assert response.json()["symbol"] == "AAPL"
    assert {"created_at", "updated_at"} <= set(response.json())


def test_an_unknown_asset_is_404(alice, client_for, listed):
    response = client_for(alice).get(f"{URL}999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "ASSET_NOT_FOUND"


def test_assets_are_found_by_symbol_including_crypto_pairs(alice, client_for, listed):
    client = client_for(alice)
    assert client.get(f"{URL}symbol/aapl/").json()["id"] == listed["AAPL"].id
    assert client.get(f"{URL}symbol/BTC/USD/").json()["asset_class"] == "crypto"
    assert client.get(f"{URL}symbol/NOPE/").status_code == 404


def test_stats_count_classes_and_exchanges(alice, client_for, listed):
    body = client_for(alice).get(f"{URL}stats/").json()
    assert body["total_count"] == 5
    assert {"value": "crypto", "label": "Crypto", "count": 1} in body["asset_classes"]
    assert {"value": "NASDAQ", "label": "NASDAQ", "count": 3} in body["exchanges"]


def test_an_unknown_tradable_value_is_rejected_with_the_allowed_values(alice, client_for, listed):
    response = client_for(alice).get(URL, {"tradable": "maybe"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["errors"] == {
        "tradable": ["'maybe' is not a valid value. Allowed: true, false (or 1, 0)."]
    }
    assert body["msg"].startswith("tradable: ")


@pytest.mark.parametrize(("value", "expected"), [("true", 4), ("True", 4), ("1", 4), ("0", 1)])
def test_tradable_accepts_true_false_one_and_zero(alice, client_for, listed, value, expected):
    assert len(symbols(client_for(alice).get(URL, {"tradable": value}))) == expected
