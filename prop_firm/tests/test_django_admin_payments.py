"""Purchases and webhook events in the Django admin: read-only, with their reprocessing
actions going through the payments services."""

import pytest
from django.urls import reverse

from prop_firm.payments.models import Purchase, WebhookEvent
from prop_firm.tests.factories import PlanFactory, active_account
from prop_firm.tests.test_django_admin import paid_purchase, staff_client, webhook_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, staff):
    return staff_client(client, staff)


@pytest.fixture
def purchase(alice):
    return paid_purchase(active_account(alice, PlanFactory()))


def _messages(response) -> list[str]:
    return [m.message for m in response.wsgi_request._messages]


def test_reprocessing_runs_an_unprocessed_event_through_the_service(admin, purchase):
    event = webhook_event(purchase, processed=False)

    response = admin.post(
        reverse("admin:prop_firm_webhookevent_changelist"),
        {"action": "reprocess", "_selected_action": [event.pk], "index": "0"},
    )

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.processed_at is not None
    assert event.outcome == "IGNORED"  # an event type the handlers do not know


def test_a_processed_event_is_never_applied_twice(admin, purchase):
    event = webhook_event(purchase, processed=True)
    processed_at = event.processed_at

    response = admin.post(
        reverse("admin:prop_firm_webhookevent_changelist"),
        {"action": "reprocess", "_selected_action": [event.pk], "index": "0"},
    )

    event.refresh_from_db()
    assert event.processed_at == processed_at
    assert any("already processed" in m for m in _messages(response))


def test_rechecking_a_paid_purchase_changes_nothing(admin, purchase):
    response = admin.post(
        reverse("admin:prop_firm_purchase_changelist"),
        {"action": "recheck_payment", "_selected_action": [purchase.pk], "index": "0"},
    )

    assert response.status_code == 302
    assert any("already received" in m for m in _messages(response))
    purchase.refresh_from_db()
    assert purchase.status == "PAID"


def test_rechecking_a_purchase_without_session_reports_why(admin, alice):
    account = active_account(alice, PlanFactory())
    purchase = paid_purchase(account)
    Purchase.objects.filter(pk=purchase.pk).update(status="CREATED", session_id=None, paid_at=None)

    response = admin.post(
        reverse("admin:prop_firm_purchase_changelist"),
        {"action": "recheck_payment", "_selected_action": [purchase.pk], "index": "0"},
    )

    assert any("no checkout session" in m for m in _messages(response))


@pytest.mark.parametrize("model", ["purchase", "webhookevent"])
def test_purchases_and_events_are_read_only(admin, purchase, model):
    obj = purchase if model == "purchase" else webhook_event(purchase)
    change = reverse(f"admin:prop_firm_{model}_change", args=[obj.pk])

    assert admin.get(change).status_code == 200  # shown
    assert admin.post(change, {"amount": "0.00", "outcome": "FAILED"}).status_code == 403
    assert admin.get(reverse(f"admin:prop_firm_{model}_add")).status_code == 403
    delete = reverse(f"admin:prop_firm_{model}_delete", args=[obj.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_an_events_payload_is_shown(admin, purchase):
    event = webhook_event(purchase)

    page = admin.get(reverse("admin:prop_firm_webhookevent_change", args=[event.pk]))

    assert event.event_id in page.content.decode()
    assert "&quot;customer.created&quot;" in page.content.decode()


def test_non_staff_cannot_reprocess(client, alice, purchase):
    event = webhook_event(purchase, processed=False)
    client.force_login(alice)

    response = client.post(
        reverse("admin:prop_firm_webhookevent_changelist"),
        {"action": "reprocess", "_selected_action": [event.pk], "index": "0"},
    )

    assert response["Location"].startswith(reverse("admin:login"))
    assert WebhookEvent.objects.get(pk=event.pk).processed_at is None
