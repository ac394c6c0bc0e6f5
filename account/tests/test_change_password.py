"""The three routes of one change-password service: `change_password/` (POST), and the
original backend's `change-password/` (PUT, PATCH) and `changepassword/` (POST)."""

import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/account/login/"
REFRESH = "/api/account/refresh_token/"
NEW_PASSWORD = "N3w-Passw0rd-2026!"

ROUTES = [
    ("post", "/api/account/change_password/"),
    ("post", "/api/account/changepassword/"),
    ("put", "/api/account/change-password/"),
    ("patch", "/api/account/change-password/"),
]


def body(old=PASSWORD, new=NEW_PASSWORD):
    return {"old_password": old, "new_password": new, "new_password2": new}


def login(api_client, user, password=PASSWORD):
    return api_client.post(LOGIN, {"email": user.email, "password": password})


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_route_changes_the_password_and_ends_other_sessions(
    api_client, client_for, alice, method, url
):
    other_session = login(api_client, alice).json()["token"]

    response = getattr(client_for(alice), method)(url, body(), format="json")

    assert response.status_code == 200
    assert set(response.json()["token"]) == {"access", "refresh"}
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert api_client.post(REFRESH, {"refresh": other_session["refresh"]}).status_code == 401
    fresh = response.json()["token"]["refresh"]
    assert api_client.post(REFRESH, {"refresh": fresh}).status_code == 200


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_route_needs_the_old_password(client_for, alice, method, url):
    response = getattr(client_for(alice), method)(url, body(old="wrong-one"), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "WRONG_PASSWORD"
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_original_field_names_are_accepted(client_for, alice):
    response = client_for(alice).post(
        "/api/account/changepassword/",
        {"old_password": PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_route_needs_a_signed_in_user(api_client, method, url):
    assert getattr(api_client, method)(url, body(), format="json").status_code == 401


@pytest.mark.parametrize(
    ("method", "url"),
    [("put", "/api/account/change_password/"), ("post", "/api/account/change-password/")],
)
def test_each_route_keeps_its_own_methods(client_for, alice, method, url):
    response = getattr(client_for(alice), method)(url, body(), format="json")

    assert response.status_code == 405
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
