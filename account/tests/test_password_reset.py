import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

SEND = "/api/account/send-reset-password-email/"
LOGIN = "/api/account/login/"
REFRESH = "/api/account/refresh_token/"
NEW_PASSWORD = "N3w-Passw0rd-2026!"


def reset_link_parts(message) -> tuple[str, str]:
    match = re.search(r"/reset-password/([^/\s]+)/([^/\s]+)", message.body)
    assert match, message.body
    return match.group(1), match.group(2)


def reset(api_client, uid, token, password=NEW_PASSWORD, password2=None):
    return api_client.post(
        f"/api/account/reset-password/{uid}/{token}/",
        {"password": password, "password2": password2 or password},
        format="json",
    )


@pytest.fixture
def ask_for_link(api_client, committed):
    def ask(email="alice@example.com"):
        with committed():
            return api_client.post(SEND, {"email": email}, format="json")

    return ask


def test_the_reset_email_links_to_the_web_app_in_text_and_html(
    api_client, alice, settings, ask_for_link
):
    settings.FRONTEND_URL = "https://app.example.com"

    response = ask_for_link("Alice@Example.com")

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "https://app.example.com/reset-password/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    uid, token = reset_link_parts(message)
    assert f"https://app.example.com/reset-password/{uid}/{token}" in html


def test_an_unknown_email_gets_the_same_answer_and_no_email(api_client, alice, ask_for_link):
    known = ask_for_link("alice@example.com")
    mail.outbox.clear()

    unknown = ask_for_link("nobody@example.com")

    assert unknown.status_code == 200
    assert unknown.json() == known.json()
    assert mail.outbox == []


def test_a_deactivated_user_gets_no_email(api_client, alice, ask_for_link):
    alice.is_active = False
    alice.save()

    assert ask_for_link().status_code == 200
    assert mail.outbox == []


def test_the_link_sets_the_new_password(api_client, alice, ask_for_link):
    ask_for_link()
    uid, token = reset_link_parts(mail.outbox[0])

    response = reset(api_client, uid, token)

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert (
        api_client.post(LOGIN, {"email": alice.email, "password": NEW_PASSWORD}).status_code == 200
    )


def test_the_link_works_only_once(api_client, alice, ask_for_link):
    ask_for_link()
    uid, token = reset_link_parts(mail.outbox[0])
    assert reset(api_client, uid, token).status_code == 200

    again = reset(api_client, uid, token, password="An0ther-Passw0rd!")

    assert again.status_code == 400
    assert again.json()["code"] == "RESET_LINK_INVALID"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_the_link_expires(api_client, alice, settings, ask_for_link):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    ask_for_link()
    uid, token = reset_link_parts(mail.outbox[0])

    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        response = reset(api_client, uid, token)

    assert response.status_code == 400
    assert response.json()["code"] == "RESET_LINK_INVALID"
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


@pytest.mark.parametrize("part", ["uid", "token"])
def test_a_wrong_uid_or_token_is_a_400(api_client, alice, bob, part, ask_for_link):
    ask_for_link()
    uid, token = reset_link_parts(mail.outbox[0])
    if part == "uid":
        uid = "Ym9i" if uid != "Ym9i" else "eA"  # another id, or garbage
    else:
        token = token[:-3] + "zzz"

    response = reset(api_client, uid, token)

    assert response.status_code == 400
    assert response.json()["code"] == "RESET_LINK_INVALID"
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_another_users_uid_with_alices_token_fails(api_client, alice, bob, ask_for_link):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    ask_for_link()
    _uid, token = reset_link_parts(mail.outbox[0])

    response = reset(api_client, urlsafe_base64_encode(force_bytes(bob.pk)), token)

    assert response.status_code == 400
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_the_new_password_goes_through_the_validators(api_client, alice, ask_for_link):
    ask_for_link()
    uid, token = reset_link_parts(mail.outbox[0])

    short = reset(api_client, uid, token, password="abc")
    mismatch = reset(api_client, uid, token, password2="Different-Passw0rd!")

    assert short.status_code == 400
    assert "password" in short.json()["errors"]
    assert mismatch.status_code == 400
    assert "password2" in mismatch.json()["errors"]
    # A refused password does not burn the link.
    assert reset(api_client, uid, token).status_code == 200


def test_old_refresh_tokens_are_rejected_after_a_reset(api_client, alice, ask_for_link):
    old = api_client.post(LOGIN, {"email": alice.email, "password": PASSWORD}).json()["token"]
    ask_for_link()
    uid, token = reset_link_parts(mail.outbox[0])

    assert reset(api_client, uid, token).status_code == 200

    response = api_client.post(REFRESH, {"refresh": old["refresh"]})
    assert response.status_code == 401


def test_a_reset_proves_the_mailbox(api_client, alice, ask_for_link):
    ask_for_link()
    uid, token = reset_link_parts(mail.outbox[0])

    reset(api_client, uid, token)

    alice.refresh_from_db()
    assert alice.email_verified is True


def test_asking_for_links_is_throttled_per_address(api_client, alice, settings, ask_for_link):
    statuses = [ask_for_link().status_code for _ in range(6)]

    assert statuses == [200] * 5 + [429]
    assert len(mail.outbox) == 5
