"""Which gateway runs: Stripe with a key, local only offline and never with a live key."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from prop_firm.payments.gateways import gateway_name, local_webhook_secret
from prop_firm.tests.payments_factories import WEBHOOK, event, sign


@pytest.mark.parametrize(
    ("choice", "key", "debug", "expected"),
    [
        ("auto", "sk_test_1", False, "stripe"),
        ("auto", "sk_test_1", True, "stripe"),
        ("auto", "", True, "local"),  # the embedded default
        ("auto", "", False, None),  # production without Stripe: refused
        ("local", "", False, "local"),  # on purpose, e.g. a staging demo
        ("local", "sk_test_1", False, "local"),
        ("local", "sk_live_1", True, None),  # never with a live key
        ("local", "rk_live_1", True, None),
        ("stripe", "sk_test_1", True, "stripe"),
        ("stripe", "", True, None),
    ],
)
def test_gateway_selection(settings, choice, key, debug, expected):
    settings.PAYMENT_GATEWAY = choice
    settings.STRIPE_SECRET_KEY = key
    settings.DEBUG = debug
    assert gateway_name() == expected


@pytest.mark.parametrize("choice", ["strpe", "none", "stripe,local"])
def test_an_unknown_gateway_setting_is_refused_not_read_as_auto(settings, choice):
    settings.PAYMENT_GATEWAY = choice
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True

    with pytest.raises(ImproperlyConfigured, match=r"PAYMENT_GATEWAY.*auto, stripe, local"):
        gateway_name()


def test_the_gateway_setting_ignores_case_and_spaces(settings):
    settings.PAYMENT_GATEWAY = " Local "
    settings.STRIPE_SECRET_KEY = ""
    assert gateway_name() == "local"


def test_the_local_webhook_secret_works_with_nothing_configured(settings):
    settings.PAYMENTS_LOCAL_WEBHOOK_SECRET = ""
    assert local_webhook_secret().startswith("whsec_local_")
    settings.PAYMENTS_LOCAL_WEBHOOK_SECRET = "whsec_mine"
    assert local_webhook_secret() == "whsec_mine"


@pytest.mark.django_db
def test_the_webhook_needs_no_csrf_token_and_no_login(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_1"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    body = '{"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}}'
    response = Client(enforce_csrf_checks=True).post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, "whsec_x"),
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_local_gateway_rejects_events_signed_with_another_secret(settings):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    body = json.dumps(event("customer.created", {}))
    response = Client().post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, "whsec_x"),
    )
    assert response.status_code == 400
    ok = Client().post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, local_webhook_secret()),
    )
    assert ok.status_code == 200
