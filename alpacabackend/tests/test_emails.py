"""Every email: text and HTML from templates, through Django's email backend."""

from pathlib import Path

import pytest
from django.core import mail

from alpacabackend.emails import email_send

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = sorted(ROOT.glob("*/templates/*/email"))


def template_sets() -> list[str]:
    return sorted(
        f"{folder.parent.name}/email/{subject.name.removesuffix('_subject.txt')}"
        for folder in TEMPLATE_DIRS
        for subject in folder.glob("*_subject.txt")
    )


def test_every_email_has_a_subject_a_text_and_an_html_template():
    sets = template_sets()

    assert len(sets) >= 10  # account (2), trading notifications (4), payouts (4)
    for name in sets:
        for suffix in (".txt", ".html"):
            assert (ROOT / name.split("/")[0] / "templates" / f"{name}{suffix}").exists(), name


def test_an_email_leaves_with_text_and_html_and_plain_text_is_not_escaped(settings):
    settings.SITE_NAME = "Acme Funding"

    sent = email_send(
        template="prop_firm/email/account_activated",
        to="dan@example.com",
        context={
            "name": "Dan O'Brien",
            "plan": "$50K <Two-Step>",
            "account_number": "PF00000042",
            "starting_balance": "50000.00",
        },
    )

    assert sent is True
    (message,) = mail.outbox
    assert message.subject == "Your account PF00000042 is active"
    assert "Hello Dan O'Brien," in message.body
    assert "$50K <Two-Step> account PF00000042" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Dan O&#x27;Brien" in html
    assert "&lt;Two-Step&gt;" in html
    assert "Acme Funding" in html


def test_a_mail_server_down_is_logged_not_raised(settings, caplog):
    settings.EMAIL_BACKEND = "alpacabackend.tests.test_emails.BrokenBackend"

    sent = email_send(
        template="account/email/verify_email",
        to="dan@example.com",
        context={"name": "Dan", "verify_url": "http://testserver/x/", "valid_hours": 72},
    )

    assert sent is False
    assert "Could not send the account/email/verify_email email" in caplog.text


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")
