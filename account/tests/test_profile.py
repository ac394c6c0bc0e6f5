import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROFILE = "/api/account/profile/"
CHANGE_PASSWORD = "/api/account/change_password/"


def password_change(old, new, confirmation):
    return {"old_password": old, "new_password": new, "new_password2": confirmation}


def test_profile_without_a_token_answers_401_not_a_redirect(api_client):
    response = api_client.get(PROFILE)

    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"


def test_profile_with_a_bad_token_answers_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")

    response = api_client.get(PROFILE)

    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_NOT_VALID"


def test_profile_is_the_bare_user(client_for, alice):
    response = client_for(alice).get(PROFILE)

    assert response.status_code == 200
    assert set(response.json()) == {
        "id",
        "email",
        "name",
        "avatar",
        "is_admin",
        "is_verified",
        "email_verified",
        "auth_provider",
        "date_joined",
    }
    assert response.json()["email"] == "alice@example.com"


def test_staff_is_admin(client_for, staff):
    assert client_for(staff).get(PROFILE).json()["is_admin"] is True


def test_patch_changes_the_name(client_for, alice):
    response = client_for(alice).patch(PROFILE, {"name": "Alice B."}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Alice B."
    alice.refresh_from_db()
    assert alice.name == "Alice B."


def test_email_change_needs_the_password(client_for, alice):
    response = client_for(alice).patch(PROFILE, {"email": "new@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "PASSWORD_REQUIRED"
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_email_change_with_the_password(client_for, alice):
    response = client_for(alice).patch(
        PROFILE, {"email": "New@Example.com", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["email"] == "new@example.com"


def test_email_change_to_a_taken_email_is_refused(client_for, alice, bob):
    response = client_for(alice).patch(
        PROFILE, {"email": "BOB@example.com", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "EMAIL_TAKEN"


def test_change_password_logs_out_other_sessions(api_client, client_for, alice):
    old = api_client.post(
        "/api/account/login/", {"email": "alice@example.com", "password": PASSWORD}
    ).json()["token"]

    response = client_for(alice).post(
        CHANGE_PASSWORD,
        password_change(PASSWORD, "An0ther-Secret!", "An0ther-Secret!"),
        format="json",
    )

    assert response.status_code == 200
    assert set(response.json()) == {"msg", "data", "token"}
    alice.refresh_from_db()
    assert alice.check_password("An0ther-Secret!")
    replay = api_client.post("/api/account/refresh_token/", {"refresh": old["refresh"]})
    assert replay.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (password_change("wrong", "An0ther-Secret!", "An0ther-Secret!"), "old_password"),
        (password_change(PASSWORD, "An0ther-Secret!", "Different-1!"), "new_password2"),
        (password_change(PASSWORD, "123", "123"), "new_password"),
    ],
)
def test_change_password_bad_input(client_for, alice, body, field):
    response = client_for(alice).post(CHANGE_PASSWORD, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
