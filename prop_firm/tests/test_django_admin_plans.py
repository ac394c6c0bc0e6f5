"""Plans in the Django admin: edited with their phases, validated like the model and the
rule engine expect."""

import pytest
from django.urls import reverse

from prop_firm.models import PlanPhase, PropFirmAccount, PropFirmPlan
from prop_firm.tests.factories import PhaseFactory, PlanFactory, active_account
from prop_firm.tests.test_django_admin import form_data, staff_client

pytestmark = pytest.mark.django_db

ADD = "admin:prop_firm_propfirmplan_add"
PLAN = {
    "name": "$25K Challenge",
    "plan_type": "EVALUATION",
    "is_active": "on",
    "price": "149.00",
    "currency": "usd",
    "starting_balance": "25000.00",
    "max_daily_loss": "1250.00",
    "daily_loss_basis": "balance",
    "max_total_loss": "2500.00",
    "drawdown_mode": "static",
    "drawdown_lock_at_start": "on",
    "profit_target": "2000.00",
    "min_trading_days": "4",
    "max_position_size": "100.00",
    "max_leverage": "1.00",
    "max_inactive_days": "30",
    "profit_split": "80.00",
    "payout_frequency_days": "14",
    "min_payout_amount": "50.00",
}


@pytest.fixture
def admin(client, staff):
    return staff_client(client, staff)


def _phases(*rows) -> dict:
    data = {
        "extra_phases-TOTAL_FORMS": str(len(rows)),
        "extra_phases-INITIAL_FORMS": "0",
        "extra_phases-MIN_NUM_FORMS": "0",
        "extra_phases-MAX_NUM_FORMS": "1000",
    }
    for i, (number, target) in enumerate(rows):
        data.update(
            {
                f"extra_phases-{i}-number": str(number),
                f"extra_phases-{i}-name": f"Phase {number}",
                f"extra_phases-{i}-profit_target": target,
                f"extra_phases-{i}-min_trading_days": "1",
            }
        )
    return data


def test_a_plan_is_created_with_its_phases(admin):
    response = admin.post(reverse(ADD), {**PLAN, **_phases((2, "1250.00"), (3, "1000.00"))})

    assert response.status_code == 302, response.content.decode()[:3000]
    plan = PropFirmPlan.objects.get(name="$25K Challenge")
    assert list(plan.extra_phases.values_list("number", flat=True)) == [2, 3]


def test_phases_are_numbered_without_gaps(admin):
    response = admin.post(reverse(ADD), {**PLAN, **_phases((2, "1250.00"), (4, "1000.00"))})

    assert response.status_code == 200
    assert "without gaps" in response.content.decode()
    assert not PropFirmPlan.objects.filter(name="$25K Challenge").exists()


def test_the_model_rules_are_enforced(admin):
    response = admin.post(reverse(ADD), {**PLAN, "max_daily_loss": "30000.00", **_phases()})

    assert response.status_code == 200
    assert "below the starting balance" in response.content.decode()


def test_a_phase_accounts_are_in_cannot_be_removed(admin, alice):
    plan = PlanFactory()
    phase = PhaseFactory(plan=plan, number=2)
    account = active_account(alice, plan)
    PropFirmAccount.objects.filter(pk=account.pk).update(phase=2)  # passed phase 1 earlier
    url = reverse("admin:prop_firm_propfirmplan_change", args=[plan.pk])
    data = form_data(admin.get(url).content.decode(), "propfirmplan_form")
    data["extra_phases-0-DELETE"] = ["on"]

    response = admin.post(url, data)

    assert response.status_code == 200
    assert "Accounts are in phase 2" in response.content.decode()
    assert PlanPhase.objects.filter(pk=phase.pk).exists()


def test_the_plan_type_is_fixed_once_accounts_exist(admin, alice):
    plan = PlanFactory()
    active_account(alice, plan)
    url = reverse("admin:prop_firm_propfirmplan_change", args=[plan.pk])
    data = form_data(admin.get(url).content.decode(), "propfirmplan_form", plan_type="INSTANT")

    response = admin.post(url, data)

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.plan_type == "EVALUATION"


def test_the_starting_balance_is_fixed_once_accounts_exist(admin, alice):
    plan = PlanFactory()
    active_account(alice, plan)
    url = reverse("admin:prop_firm_propfirmplan_change", args=[plan.pk])
    before = plan.starting_balance
    data = form_data(
        admin.get(url).content.decode(), "propfirmplan_form", starting_balance="999999.00"
    )

    response = admin.post(url, data)

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.starting_balance == before


def test_a_plan_without_accounts_is_edited(admin):
    plan = PlanFactory()
    url = reverse("admin:prop_firm_propfirmplan_change", args=[plan.pk])
    data = form_data(admin.get(url).content.decode(), "propfirmplan_form", price="79.00")

    assert admin.post(url, data).status_code == 302
    plan.refresh_from_db()
    assert str(plan.price) == "79.00"
