"""Payout actions in the Django admin: approve, reject with a reason, mark paid with a
reference, each through the payouts services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from prop_firm.models import AccountActivity
from prop_firm.payouts.models import Payout
from prop_firm.payouts.services import payout_approve
from prop_firm.payouts.testing import ledger_total
from prop_firm.tests.test_django_admin import form_data, pending_payout, staff_client

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:prop_firm_payout_changelist"


@pytest.fixture
def admin(client, staff):
    return staff_client(client, staff)


@pytest.fixture
def payout(alice):
    return pending_payout(alice)


def _run(client, action: str, *payouts, **form):
    data = {"action": action, "_selected_action": [p.pk for p in payouts]}
    if form:
        data.update(form, apply="1")
    else:
        data["index"] = "0"
    return client.post(reverse(CHANGELIST), data)


def _reload(payout) -> Payout:
    return Payout.objects.select_related("account").get(pk=payout.pk)


def test_approving_a_bank_transfer_payout(admin, staff, payout):
    response = _run(admin, "approve_payouts", payout)

    assert response.status_code == 302
    approved = _reload(payout)
    assert (approved.status, approved.reviewer) == ("PROCESSING", staff)
    assert AccountActivity.objects.filter(account=payout.account, actor=staff).exists()


def test_rejecting_asks_for_a_reason_and_credits_the_profit_back(admin, payout):
    assert ledger_total(payout.account) == Decimal("100000.00")  # P withdrawn

    page = _run(admin, "reject_payouts", payout)
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()

    _run(admin, "reject_payouts", payout, reason="Consistency rule not met.")

    rejected = _reload(payout)
    assert (rejected.status, rejected.reason) == ("REJECTED", "Consistency rule not met.")
    assert ledger_total(payout.account) == Decimal("101000.00")  # P credited back


def test_marking_paid_asks_one_reference_per_payout(admin, staff, payout, bob):
    other = pending_payout(bob)
    for p in (payout, other):
        payout_approve(payout=p, actor=staff)

    page = _run(admin, "complete_payouts", payout, other)
    text = page.content.decode()
    assert f'name="reference_{payout.pk}"' in text
    assert f'name="reference_{other.pk}"' in text

    _run(
        admin,
        "complete_payouts",
        payout,
        other,
        **{f"reference_{payout.pk}": "SEPA-001", f"reference_{other.pk}": "SEPA-002"},
    )

    assert (_reload(payout).status, _reload(payout).reference) == ("COMPLETED", "SEPA-001")
    assert (_reload(other).status, _reload(other).reference) == ("COMPLETED", "SEPA-002")


def test_a_missing_reference_completes_nothing(admin, staff, payout):
    payout_approve(payout=payout, actor=staff)

    response = _run(admin, "complete_payouts", payout, **{f"reference_{payout.pk}": ""})

    assert response.status_code == 200
    assert _reload(payout).status == "PROCESSING"


def test_a_pending_payout_cannot_be_marked_paid(admin, payout):
    response = _run(admin, "complete_payouts", payout)

    assert response.status_code == 302
    assert _reload(payout).status == "PENDING"
    texts = [m.message for m in response.wsgi_request._messages]
    assert any("only approved manual payouts" in t for t in texts), texts


def test_approving_twice_is_refused_by_the_service(admin, staff, payout):
    payout_approve(payout=payout, actor=staff)

    response = _run(admin, "approve_payouts", payout)

    assert _reload(payout).status == "PROCESSING"
    texts = [m.message for m in response.wsgi_request._messages]
    assert any(t.startswith(f"Payout #{payout.pk}: ") and "cannot be approved" in t for t in texts)


def test_money_and_status_are_read_only_and_notes_are_audited(admin, staff, payout):
    url = reverse("admin:prop_firm_payout_change", args=[payout.pk])
    page = admin.get(url).content.decode()
    data = form_data(
        page,
        "payout_form",
        status="COMPLETED",
        amount="999999.00",
        trader_share="999999.00",
        admin_notes="Checked the IBAN.",
    )

    response = admin.post(url, data)

    assert response.status_code == 302
    reloaded = _reload(payout)
    assert (reloaded.status, reloaded.amount) == ("PENDING", Decimal("1000.00"))
    assert reloaded.admin_notes == "Checked the IBAN."
    assert AccountActivity.objects.filter(account=payout.account, kind="PAYOUT_NOTE").exists()


def test_payouts_cannot_be_added_or_deleted(admin, payout):
    assert admin.get(reverse("admin:prop_firm_payout_add")).status_code == 403
    url = reverse("admin:prop_firm_payout_delete", args=[payout.pk])
    assert admin.post(url, {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("who", ["anonymous", "trader"])
def test_non_staff_cannot_approve(client, alice, payout, who):
    if who == "trader":
        client.force_login(alice)

    response = _run(client, "approve_payouts", payout)

    assert response["Location"].startswith(reverse("admin:login"))
    assert _reload(payout).status == "PENDING"
