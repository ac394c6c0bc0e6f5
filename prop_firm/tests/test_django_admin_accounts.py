"""Account actions in the Django admin go through the lifecycle and rule-engine services;
the status (and every mark) cannot be edited through the change form."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from prop_firm.models import AccountActivity, PropFirmAccount
from prop_firm.services.lifecycle import account_suspend
from prop_firm.tests.factories import PlanFactory, active_account
from prop_firm.tests.test_django_admin import form_data, staff_client

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:prop_firm_propfirmaccount_changelist"


@pytest.fixture
def admin(client, staff):
    return staff_client(client, staff)


@pytest.fixture
def account(alice):
    return active_account(alice, PlanFactory())


def _run(client, action: str, *accounts, **form):
    """The changelist's action button; with `form`, the intermediate page's submit."""
    data = {"action": action, "_selected_action": [a.pk for a in accounts]}
    if form:
        data.update(form, apply="1")
    else:
        data["index"] = "0"
    return client.post(reverse(CHANGELIST), data)


def _reload(account) -> PropFirmAccount:
    return PropFirmAccount.objects.get(pk=account.pk)


def test_suspend_asks_for_a_reason_first(admin, account):
    response = _run(admin, "suspend_accounts", account)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/prop_firm/action_form.html"
    assert 'name="reason"' in response.content.decode()
    assert _reload(account).status == "ACTIVE"


def test_suspending_through_the_action_goes_through_the_service(admin, staff, account):
    response = _run(admin, "suspend_accounts", account, reason="KYC documents expired")

    assert response.status_code == 302
    assert _reload(account).status == "SUSPENDED"
    activity = AccountActivity.objects.filter(account=account, kind="SUSPENDED").get()
    assert activity.actor == staff
    assert activity.message == "Suspended: KYC documents expired"
    assert activity.before == {"status": "ACTIVE"}


def test_an_empty_reason_shows_the_form_again_and_changes_nothing(admin, account):
    response = _run(admin, "suspend_accounts", account, reason="   ")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert _reload(account).status == "ACTIVE"


def test_reinstate_fail_and_close_go_through_the_state_machine(admin, alice, staff):
    suspended = active_account(alice, PlanFactory())
    account_suspend(account=suspended, reason="Review", actor=staff)
    to_fail = active_account(alice, PlanFactory())
    to_close = active_account(alice, PlanFactory())

    _run(admin, "reinstate_accounts", suspended, reason="Review done")
    _run(admin, "fail_accounts", to_fail, reason="Copy trading")
    _run(admin, "close_accounts", to_close, reason="Trader asked")

    assert _reload(suspended).status == "ACTIVE"
    failed = _reload(to_fail)
    assert (failed.status, failed.failure_reason) == ("FAILED", "Copy trading")
    assert _reload(to_close).status == "CLOSED"
    kinds = set(AccountActivity.objects.filter(actor=staff).values_list("kind", flat=True))
    assert {"REINSTATED", "FAILED", "CLOSED"} <= kinds


def test_a_refused_transition_is_reported_and_the_others_still_happen(admin, alice, staff):
    failed = active_account(alice, PlanFactory())
    _run(admin, "fail_accounts", failed, reason="Copy trading")
    active = active_account(alice, PlanFactory())

    response = _run(admin, "suspend_accounts", failed, active, reason="Audit")

    assert _reload(failed).status == "FAILED"
    assert _reload(active).status == "SUSPENDED"
    texts = [m.message for m in response.wsgi_request._messages]
    assert any("cannot become suspended" in t for t in texts), texts
    assert any("1 prop firm account suspended" in t for t in texts), texts


def test_rerunning_the_rules_re_marks_active_accounts(admin, staff, account):
    PropFirmAccount.objects.filter(pk=account.pk).update(equity=Decimal("1.00"))

    response = _run(admin, "recheck_rules", account)

    assert response.status_code == 302
    reloaded = _reload(account)
    assert reloaded.equity == Decimal("50000.00")  # flat: E = B
    assert reloaded.status == "ACTIVE"


def test_adding_a_note_appends_it_and_records_an_activity(admin, staff, account):
    _run(admin, "add_note", account, note="Called the trader about the drawdown.")

    reloaded = _reload(account)
    assert reloaded.notes.endswith("Called the trader about the drawdown.")
    assert "staff@example.com" in reloaded.notes
    note = AccountActivity.objects.get(account=account, kind="NOTE")
    assert note.actor == staff


def test_the_status_cannot_be_edited_through_the_change_form(admin, account):
    url = reverse("admin:prop_firm_propfirmaccount_change", args=[account.pk])
    page = admin.get(url)
    assert 'name="status"' not in page.content.decode()

    data = form_data(
        page.content.decode(),
        "propfirmaccount_form",
        status="FAILED",
        stage="FUNDED",
        current_balance="999999.00",
        equity="999999.00",
        max_loss_floor="0.00",
        notes="Watch this one.",
    )
    response = admin.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    reloaded = _reload(account)
    assert (reloaded.status, reloaded.stage) == ("ACTIVE", "EVALUATION")
    assert reloaded.current_balance == reloaded.equity == Decimal("50000.00")
    assert reloaded.max_loss_floor == Decimal("45000.00")
    # The one editable field, audited by its service.
    assert reloaded.notes == "Watch this one."
    assert AccountActivity.objects.filter(account=account, kind="NOTES_UPDATED").exists()


def test_accounts_cannot_be_added_or_deleted(admin, account):
    assert admin.get(reverse("admin:prop_firm_propfirmaccount_add")).status_code == 403
    url = reverse("admin:prop_firm_propfirmaccount_delete", args=[account.pk])
    assert admin.post(url, {"post": "yes"}).status_code == 403
    assert PropFirmAccount.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize("who", ["anonymous", "trader"])
def test_non_staff_cannot_run_actions(client, alice, account, who):
    if who == "trader":
        client.force_login(alice)

    response = _run(client, "suspend_accounts", account, reason="Let me in")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert _reload(account).status == "ACTIVE"
    assert not AccountActivity.objects.filter(kind="SUSPENDED").exists()


def test_staff_with_view_permission_only_cannot_run_actions(client, staff, account):
    staff.user_permissions.add(Permission.objects.get(codename="view_propfirmaccount"))
    client.force_login(staff)

    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert "suspend_accounts" not in page.content.decode()

    response = _run(client, "suspend_accounts", account, reason="Not allowed")

    assert _reload(account).status == "ACTIVE"
    assert response.status_code in (200, 302)
