"""Google sign-in: ID tokens signed here with a local RSA key; Google's certificate endpoint
stubbed at the HTTP level (`responses`) with that key's certificate."""

import time

import pytest
import responses
from rest_framework_simplejwt.tokens import AccessToken

from account.models import User
from account.testing import (
    CERTIFICATE_PEM,
    CERTS_URL,
    CLIENT_ID,
    KEY_ID,
    OTHER_PRIVATE_PEM,
    id_token,
)
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/account/social/google/"


@pytest.fixture
def google(settings):
    """Google sign-in configured; Google's certificates served by `responses`."""
    settings.GOOGLE_OAUTH_CLIENT_ID = [CLIENT_ID]
    with responses.RequestsMock() as stub:
        stub.get(CERTS_URL, json={KEY_ID: CERTIFICATE_PEM})
        yield stub


def sign_in(api_client, token):
    return api_client.post(URL, {"token": token}, format="json")


def test_a_valid_token_creates_the_user_and_answers_like_login(api_client, google):
    response = sign_in(api_client, id_token())

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"msg", "token", "data"}
    assert {"access", "refresh"} == set(body["token"])
    user = User.objects.get(email="carol@gmail.com")
    assert AccessToken(body["token"]["access"])["user_id"] == str(user.pk)
    assert body["data"]["auth_provider"] == "google"
    assert body["data"]["email_verified"] is True
    assert body["data"]["name"] == "Carol Google"
    assert not user.has_usable_password()


def test_signing_in_again_finds_the_same_user(api_client, google):
    first = sign_in(api_client, id_token()).json()["data"]["id"]

    second = sign_in(api_client, id_token(email="carol.renamed@gmail.com")).json()["data"]["id"]

    assert first == second
    assert User.objects.count() == 1


def test_a_password_user_with_the_same_email_is_linked_not_duplicated(api_client, google, alice):
    response = sign_in(api_client, id_token(email="Alice@Example.com"))

    assert response.status_code == 200
    assert response.json()["data"]["id"] == alice.pk
    assert User.objects.count() == 1
    alice.refresh_from_db()
    assert alice.google_sub == "110169484474386276334"
    assert alice.email_verified is True
    assert alice.auth_provider == "email"
    assert alice.check_password(PASSWORD)  # the password still works too


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        (lambda: id_token(aud="someone-else.apps.googleusercontent.com"), 401, None),
        (lambda: id_token(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), 401, None),
        (lambda: id_token(iss="https://evil.example.com"), 401, None),
        (lambda: id_token(private_pem=OTHER_PRIVATE_PEM), 401, None),
        (lambda: "not-a-jwt", 401, None),
        (lambda: id_token(email_verified=False), 400, "GOOGLE_EMAIL_NOT_VERIFIED"),
    ],
    ids=["wrong-audience", "expired", "wrong-issuer", "forged-signature", "garbage", "unverified"],
)
def test_a_bad_token_signs_nobody_in(api_client, google, token, status, code):
    google.assert_all_requests_are_fired = False

    response = sign_in(api_client, token())

    assert response.status_code == status
    assert response.json()["code"] == (code or "GOOGLE_TOKEN_INVALID")
    assert "token" not in response.json()
    assert User.objects.count() == 0


def test_a_disabled_user_cannot_sign_in_with_google(api_client, google, alice):
    alice.is_active = False
    alice.save()

    response = sign_in(api_client, id_token(email="alice@example.com"))

    assert response.status_code == 401
    assert "token" not in response.json()


def test_googles_certificates_are_reused_while_google_allows(api_client, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = [CLIENT_ID]
    with responses.RequestsMock() as stub:
        stub.get(
            CERTS_URL,
            json={KEY_ID: CERTIFICATE_PEM},
            headers={"Cache-Control": "public, max-age=21600, must-revalidate, no-transform"},
        )

        first = sign_in(api_client, id_token())
        second = sign_in(api_client, id_token())

        assert len(stub.calls) == 1
    assert first.status_code == second.status_code == 200


def test_without_a_client_id_google_sign_in_is_unavailable(api_client, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = []

    response = sign_in(api_client, id_token())

    assert response.status_code == 503
    assert response.json()["code"] == "SOCIAL_LOGIN_UNAVAILABLE"
    assert "Google sign-in is not available" in response.json()["msg"]


def test_google_unreachable_is_a_503(api_client, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = [CLIENT_ID]
    with responses.RequestsMock() as stub:
        stub.get(CERTS_URL, status=500)

        response = sign_in(api_client, id_token())

    assert response.status_code == 503
    assert response.json()["code"] == "GOOGLE_UNAVAILABLE"
    assert User.objects.count() == 0
