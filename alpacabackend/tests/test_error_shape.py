"""Every error leaves in API.md's shape: {msg, detail, code[, errors]}."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status, code):
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["msg"] == body["detail"]
    assert isinstance(body["msg"], str) and body["msg"]
    return body


def test_validation_error_names_the_first_failing_field(api_client):
    response = api_client.post(
        "/api/account/register/", {"email": "x@example.com", "name": "X"}, format="json"
    )

    body = assert_error_shape(response, 400, "VALIDATION_ERROR")
    assert body["msg"].startswith("password: ")
    assert body["errors"]["password"] == ["This field is required."]


def test_malformed_json_is_a_400(api_client):
    response = api_client.generic(
        "POST", "/api/account/login/", "{not json", content_type="application/json"
    )

    assert_error_shape(response, 400, "PARSE_ERROR")


def test_unauthenticated_is_a_401(api_client):
    assert_error_shape(api_client.get("/api/account/profile/"), 401, "NOT_AUTHENTICATED")


def test_unknown_url_is_a_404_in_the_error_shape(api_client):
    assert_error_shape(api_client.get("/api/does-not-exist/"), 404, "NOT_FOUND")


def test_unknown_url_is_a_json_404_also_with_debug_on(api_client, settings):
    """`bin/run` serves with DEBUG=True, where Django would show its HTML debug page."""
    settings.DEBUG = True
    assert_error_shape(api_client.get("/api/prop-firm/nothing-here/"), 404, "NOT_FOUND")
    assert_error_shape(api_client.post("/api/does-not-exist", {}), 404, "NOT_FOUND")


def test_wrong_method_is_a_405(client_for, alice):
    response = client_for(alice).delete("/api/account/profile/")

    assert_error_shape(response, 405, "METHOD_NOT_ALLOWED")


def test_throttled_is_a_429_with_retry_after(api_client, db):
    for _ in range(5):
        api_client.post("/api/account/login/", {"email": "a@example.com", "password": "x"})

    response = api_client.post("/api/account/login/", {"email": "a@example.com", "password": "x"})

    assert_error_shape(response, 429, "THROTTLED")
    assert response.has_header("Retry-After")


@pytest.mark.urls("alpacabackend.tests.urls_failing")
def test_unexpected_error_is_a_generic_500_logged_with_the_request_id(api_client, caplog):
    with caplog.at_level(logging.ERROR, logger="alpacabackend.errors"):
        response = api_client.get("/api/test/explode/", HTTP_X_REQUEST_ID="req-123")

    body = assert_error_shape(response, 500, "SERVER_ERROR")
    assert body["request_id"] == "req-123"
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert response["X-Request-ID"] == "req-123"
    assert any(getattr(r, "request_id", None) == "req-123" for r in caplog.records)


def test_every_response_carries_a_request_id(api_client):
    response = api_client.get("/api/health/")

    assert len(response["X-Request-ID"]) == 32


def test_an_oversized_body_is_a_413_not_a_500(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"email": "a@example.com", "password": "' + "x" * 5000 + '"}'

    response = api_client.generic(
        "POST", "/api/account/login/", body, content_type="application/json"
    )

    assert_error_shape(response, 413, "REQUEST_TOO_LARGE")


def test_a_disallowed_host_is_a_400_in_the_error_shape(client):
    response = client.get("/api/prop-firm/plans/", HTTP_HOST="evil.example.com")

    assert_error_shape(response, 400, "BAD_REQUEST")


def test_djangos_own_request_log_lines_carry_the_request_id():
    from django.test import RequestFactory

    from alpacabackend.api.middleware import RequestIdLogFilter

    request = RequestFactory().get("/api/x/")
    request.request_id = "req-789"
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Not Found", (), None)
    record.request = request

    RequestIdLogFilter().filter(record)

    assert record.request_id == "req-789"


@pytest.mark.parametrize(
    "url",
    [
        "/api/prop-firm/payouts/?account_id=99999999999999999999",
        "/api/paper-trading/trades/?asset=99999999999999999999",
    ],
)
def test_an_id_beyond_the_database_range_is_never_a_500(client_for, alice, url):
    response = client_for(alice).get(url)

    # SQLite cannot bind the number (400 OUT_OF_RANGE); PostgreSQL compares it and finds
    # nothing (an empty list, or 404 for an account filter). Never a server error.
    if response.status_code == 200:
        assert response.json()["data"] == []
    else:
        assert response.status_code in (400, 404)
        assert response.json()["code"] in ("OUT_OF_RANGE", "ACCOUNT_NOT_FOUND", "NOT_FOUND")
