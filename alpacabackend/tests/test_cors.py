"""The single-page app sends credentials: exact origins echoed, never '*'."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:3000"])
def test_preflight_from_the_spa_is_answered_with_credentials(api_client, origin):
    response = api_client.options(
        "/api/account/profile/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == origin
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_an_unknown_origin_gets_no_cors_headers(api_client):
    response = api_client.get("/api/health/", HTTP_ORIGIN="https://evil.example.com")

    assert "Access-Control-Allow-Origin" not in response
