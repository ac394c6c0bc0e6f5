import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from account.services.email_verification import email_verification_token
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/account/register/"
RESEND = "/api/account/invoke_verify_email/"
PROFILE = "/api/account/profile/"


def verify_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/api/account/verify-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def registered(api_client, committed):
    """Carol registers; the verification email leaves once the registration commits."""
    with committed():
        response = api_client.post(
            REGISTER,
            {
                "email": "carol@example.com",
                "name": "Carol",
                "password": PASSWORD,
                "password2": PASSWORD,
                "tc": True,
            },
            format="json",
        )
    assert response.status_code == 201
    return response.json()


def test_registration_sends_a_verification_email_in_text_and_html(registered):
    assert registered["data"]["email_verified"] is False
    assert registered["data"]["auth_provider"] == "email"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carol@example.com"]
    path = verify_path(message)
    assert path in message.alternatives[0][0]


def test_the_link_verifies_the_email_and_not_the_kyc_flag(api_client, client_for, registered):
    response = api_client.get(verify_path(mail.outbox[0]))

    assert response.status_code == 200
    from account.models import User

    carol = User.objects.get(email="carol@example.com")
    profile = client_for(carol).get(PROFILE).json()
    assert profile["email_verified"] is True
    assert profile["is_verified"] is False


def test_opening_the_link_twice_is_fine(api_client, registered):
    path = verify_path(mail.outbox[0])

    assert api_client.get(path).status_code == 200
    assert api_client.get(path).status_code == 200


def test_a_browser_is_sent_on_to_the_web_app(api_client, registered, settings):
    settings.FRONTEND_URL = "https://app.example.com"

    response = api_client.get(verify_path(mail.outbox[0]), HTTP_ACCEPT="text/html,*/*")

    assert response.status_code == 302
    assert response["Location"] == "https://app.example.com/profile?email_verified=true"


def test_an_expired_link_is_refused(api_client, registered, settings):
    settings.EMAIL_VERIFICATION_MAX_AGE = 3600
    path = verify_path(mail.outbox[0])

    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=5)):
        response = api_client.get(path)

    assert response.status_code == 400
    assert response.json()["code"] == "VERIFICATION_LINK_EXPIRED"
    from account.models import User

    assert User.objects.get(email="carol@example.com").email_verified is False


def test_a_tampered_link_is_refused(api_client, alice):
    payload, timestamp, signature = email_verification_token(alice).split(":")
    forged = f"{payload}:{timestamp}:{signature[:-2]}xx"

    response = api_client.get(f"/api/account/verify-email/{forged}/")

    assert response.status_code == 400
    assert response.json()["code"] == "VERIFICATION_LINK_INVALID"
    alice.refresh_from_db()
    assert alice.email_verified is False


def test_a_link_for_a_previous_email_is_refused(api_client, alice):
    token = email_verification_token(alice)
    alice.email = "alice.new@example.com"
    alice.save()

    response = api_client.get(f"/api/account/verify-email/{token}/")

    assert response.status_code == 400
    assert response.json()["code"] == "VERIFICATION_LINK_INVALID"


@pytest.mark.parametrize("method", ["post", "get"])
def test_resend_sends_a_new_link(client_for, alice, committed, method):
    with committed():
        response = getattr(client_for(alice), method)(RESEND)

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]


def test_resend_when_verified_sends_nothing(client_for, alice, committed):
    alice.email_verified = True
    alice.save()

    with committed():
        response = client_for(alice).post(RESEND)

    assert response.status_code == 200
    assert response.json()["msg"] == "Your email is already verified."
    assert mail.outbox == []


def test_resend_is_throttled(client_for, alice, committed):
    client = client_for(alice)
    with committed():
        statuses = [client.post(RESEND).status_code for _ in range(6)]

    assert statuses == [200] * 5 + [429]
    assert len(mail.outbox) == 5


def test_resend_needs_a_signed_in_user(api_client):
    assert api_client.post(RESEND).status_code == 401


def test_changing_the_email_unverifies_it_and_sends_a_new_link(client_for, alice, committed):
    alice.email_verified = True
    alice.save()

    with committed():
        response = client_for(alice).patch(
            PROFILE, {"email": "alice.new@example.com", "password": PASSWORD}, format="json"
        )

    assert response.status_code == 200
    assert response.json()["email_verified"] is False
    assert mail.outbox[0].to == ["alice.new@example.com"]
