import pytest
from rest_framework_simplejwt.tokens import AccessToken

from account.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/account/register/"
LOGIN = "/api/account/login/"
REFRESH = "/api/account/refresh_token/"
LOGOUT = "/api/account/logout/"
PROFILE = "/api/account/profile/"


def registration(**overrides):
    body = {
        "email": "carol@example.com",
        "name": "Carol",
        "password": PASSWORD,
        "password2": PASSWORD,
        "tc": True,
    }
    body.update(overrides)
    return body


def test_register_creates_user_and_returns_tokens(api_client):
    response = api_client.post(REGISTER, registration(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"msg", "token", "data"}
    assert body["data"]["email"] == "carol@example.com"
    assert body["data"]["is_admin"] is False
    assert AccessToken(body["token"]["access"])["user_id"] == str(body["data"]["id"])
    assert User.objects.get(email="carol@example.com").check_password(PASSWORD)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "Different-Passw0rd!"}, "password2"),
        ({"tc": False}, "tc"),
        ({"password": "short", "password2": "short"}, "password"),
        ({"password": "12345678901", "password2": "12345678901"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
    ],
)
def test_register_rejects_bad_input_with_field_errors(api_client, overrides, field):
    response = api_client.post(REGISTER, registration(**overrides), format="json")

    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"]
    assert body["msg"] == body["detail"]
    assert body["msg"].startswith(f"{field}: ")
    assert not User.objects.exists()


def test_register_requires_every_field(api_client):
    response = api_client.post(REGISTER, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "name", "password", "password2", "tc"}


def test_register_refuses_an_email_taken_in_another_case(api_client, alice):
    response = api_client.post(REGISTER, registration(email="ALICE@Example.com"), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "EMAIL_TAKEN"
    assert User.objects.count() == 1


def test_login_returns_tokens_and_user(api_client, alice):
    response = api_client.post(LOGIN, {"email": "Alice@Example.COM", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["data"]["id"] == alice.id
    assert {"access", "refresh"} == set(body["token"])
    alice.refresh_from_db()
    assert alice.last_login is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [("alice@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)],
)
def test_login_with_wrong_credentials_does_not_say_which_part(api_client, alice, email, password):
    response = api_client.post(LOGIN, {"email": email, "password": password})

    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_CREDENTIALS"
    assert response.json()["msg"] == "Email or password is not valid."


def test_login_refuses_a_deactivated_user(api_client, alice):
    alice.is_active = False
    alice.save()

    response = api_client.post(LOGIN, {"email": "alice@example.com", "password": PASSWORD})

    assert response.status_code == 401


def login_tokens(api_client, email="alice@example.com"):
    return api_client.post(LOGIN, {"email": email, "password": PASSWORD}).json()["token"]


def test_refresh_rotates_and_blacklists_the_old_token(api_client, alice):
    tokens = login_tokens(api_client)

    first = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]

    replay = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert replay.status_code == 401
    assert replay.json()["code"] == "TOKEN_NOT_VALID"


def test_refresh_with_garbage_answers_401_in_the_error_shape(api_client):
    response = api_client.post(REFRESH, {"refresh": "not-a-token"})

    assert response.status_code == 401
    assert set(response.json()) >= {"msg", "detail", "code"}


def test_logout_blacklists_the_refresh_token(api_client, alice):
    tokens = login_tokens(api_client)

    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})
    assert response.status_code == 200

    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_logout_with_an_invalid_token_is_a_400(api_client):
    response = api_client.post(LOGOUT, {"refresh": "nope"})

    assert response.status_code == 400
    assert response.json()["code"] == "TOKEN_NOT_VALID"


def test_login_is_throttled_per_email(api_client, alice):
    for _ in range(5):
        api_client.post(LOGIN, {"email": "alice@example.com", "password": "bad"})

    response = api_client.post(LOGIN, {"email": "alice@example.com", "password": PASSWORD})

    assert response.status_code == 429
    assert response.json()["code"] == "THROTTLED"
    assert int(response["Retry-After"]) > 0


def test_email_throttle_does_not_block_other_emails(api_client, alice, bob):
    for _ in range(5):
        api_client.post(LOGIN, {"email": "alice@example.com", "password": "bad"})

    response = api_client.post(LOGIN, {"email": "bob@example.com", "password": PASSWORD})

    assert response.status_code == 200


def test_register_is_throttled_per_ip(api_client):
    statuses = [
        api_client.post(
            REGISTER, registration(email=f"user{n}@example.com"), format="json"
        ).status_code
        for n in range(21)
    ]

    assert statuses[:20] == [201] * 20
    assert statuses[20] == 429
