"""Hostile input is the client's error (4xx in the error shape), never a 500 (issue 12)."""

import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/account/login/"
REFRESH = "/api/account/refresh_token/"


def assert_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["code"] == code
    assert body["msg"]
    return body


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_json_is_a_400_even_before_login(api_client, depth):
    body = "[" * depth + "]" * depth

    response = api_client.generic("POST", LOGIN, body, content_type="application/json")

    assert_error(response, 400, "PARSE_ERROR")


def test_nested_json_within_the_bound_is_parsed(api_client):
    body = '{"email": ' + "[" * 20 + "]" * 20 + ', "password": "x"}'

    response = api_client.generic("POST", LOGIN, body, content_type="application/json")

    assert_error(response, 400, "VALIDATION_ERROR")


def test_a_nul_character_in_a_json_string_is_a_400(client_for, alice):
    response = client_for(alice).patch(
        "/api/account/profile/", {"name": "Ali\x00ce"}, format="json"
    )

    assert_error(response, 400, "PARSE_ERROR")
    alice.refresh_from_db()
    assert alice.name == "Alice Trader"


@pytest.mark.parametrize(
    "url",
    [
        "/api/core/assets/?search=%00",
        "/api/core/assets/symbol/A%00/",
        "/payments/local/cs_local_%00/",
        "/api/core/assets/?search=ok&%00=1",
    ],
)
def test_a_nul_byte_in_the_path_or_query_is_a_400(client_for, alice, url):
    assert_error(client_for(alice).get(url), 400, "BAD_REQUEST")


def test_refreshing_the_token_of_a_deleted_user_is_a_401(api_client, alice):
    tokens = api_client.post(LOGIN, {"email": alice.email, "password": PASSWORD}).json()["token"]
    alice.delete()

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert_error(response, 401, "NO_ACTIVE_ACCOUNT")


def test_a_string_longer_than_any_field_is_a_400(api_client):
    body = {"email": "a" * 10_001 + "@example.com", "password": "x"}

    response = api_client.post(LOGIN, body, format="json")

    assert_error(response, 400, "PARSE_ERROR")


def test_a_body_larger_than_the_upload_limit_is_a_413(api_client):
    body = '{"email": "' + "a" * 3_000_000 + '", "password": "x"}'

    response = api_client.generic("POST", LOGIN, body, content_type="application/json")

    assert_error(response, 413, "REQUEST_TOO_LARGE")


def test_a_very_long_query_value_is_a_400(client_for, alice):
    response = client_for(alice).get("/api/core/assets/", {"search": "A" * 2_001})

    assert_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("account_id", ["99999999999999999999", "9223372036854775808"])
def test_an_id_beyond_what_the_database_stores_is_a_4xx(client_for, alice, account_id):
    response = client_for(alice).get(f"/api/prop-firm/accounts/{account_id}/")

    assert response.status_code in (400, 404)
    assert response.json()["code"] in ("OUT_OF_RANGE", "NOT_FOUND", "ACCOUNT_NOT_FOUND")


@pytest.mark.django_db
def test_a_candle_offset_in_other_digits_is_refused(alice, client_for):
    from core.models import Asset

    asset = Asset.objects.create(symbol="AAPL", name="Apple")
    response = client_for(alice).get(f"/api/core/assets/{asset.pk}/candles_v2/", {"offset": "٣"})
    assert response.status_code == 400
