from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from prop_firm.models import PropFirmPlan
from prop_firm.tests.factories import PhaseFactory, PlanFactory

pytestmark = pytest.mark.django_db


def test_fixture_loads_the_seed_plans_and_a_two_phase_example():
    call_command("loaddata", "initial_plans.json", verbosity=0)
    fifty = PropFirmPlan.objects.get(name="$50K Challenge")
    assert fifty.description == "Prove your trading skills with a $50,000 account"
    assert (fifty.starting_balance, fifty.price) == (Decimal("50000.00"), Decimal("99.00"))
    assert (fifty.max_daily_loss, fifty.max_total_loss) == (Decimal("2500"), Decimal("5000"))
    assert (fifty.profit_target, fifty.min_trading_days) == (Decimal("5000"), 5)
    assert (fifty.max_position_size, fifty.profit_split) == (Decimal("100"), Decimal("80"))
    hundred = PropFirmPlan.objects.get(name="$100K Challenge")
    assert hundred.description == "Trade with a $100,000 account"
    assert (hundred.price, hundred.max_daily_loss) == (Decimal("149.00"), Decimal("5000.00"))
    assert (hundred.max_total_loss, hundred.profit_target) == (Decimal("10000"), Decimal("10000"))
    two_phase = PropFirmPlan.objects.exclude(pk__in=[fifty.pk, hundred.pk]).get()
    assert list(two_phase.extra_phases.values_list("number", flat=True)) == [2]
    for plan in PropFirmPlan.objects.all():
        plan.full_clean()


def test_seed_create_snippet_works_verbatim():
    PropFirmPlan.objects.create(
        name="$50K Challenge",
        description="Prove your trading skills with a $50,000 account",
        plan_type="EVALUATION",
        starting_balance=Decimal("50000.00"),
        price=Decimal("99.00"),
        max_daily_loss=Decimal("2500.00"),
        max_total_loss=Decimal("5000.00"),
        profit_target=Decimal("5000.00"),
        min_trading_days=5,
        max_position_size=Decimal("100.00"),
        profit_split=Decimal("80.00"),
        is_active=True,
    )
    assert PropFirmPlan.objects.get().drawdown_mode == "static"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_daily_loss", Decimal("0")),
        ("max_daily_loss", Decimal("50000")),
        ("max_total_loss", Decimal("60000")),
        ("profit_target", Decimal("-1")),
        ("profit_split", Decimal("101")),
        ("max_position_size", Decimal("120")),
        ("consistency_pct", Decimal("150")),
    ],
)
def test_clean_rejects_out_of_range_values(field, value):
    plan = PlanFactory.build(**{field: value})
    with pytest.raises(ValidationError) as error:
        plan.full_clean()
    assert field in error.value.message_dict


def test_plans_are_public_active_only_and_by_starting_balance(api_client):
    big = PlanFactory(name="$100K Challenge", starting_balance=Decimal("100000"))
    small = PlanFactory()
    PlanFactory(name="Retired", is_active=False)
    PhaseFactory(plan=big, number=2, profit_target=Decimal("5000"), min_trading_days=3)
    response = api_client.get("/api/prop-firm/plans/")
    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body["data"]] == [small.pk, big.pk]
    assert body["count"] == 2
    assert body["data"][0]["starting_balance"] == "50000.00"
    assert body["data"][1]["phases"] == [
        {"number": 1, "name": "Phase 1", "profit_target": "5000.00", "min_trading_days": 5},
        {"number": 2, "name": "Verification", "profit_target": "5000.00", "min_trading_days": 3},
    ]


def test_plan_list_query_count_is_pinned(api_client, django_assert_num_queries):
    for _ in range(5):
        PhaseFactory(plan=PlanFactory())
    with django_assert_num_queries(2):  # plans + their phases
        assert api_client.get("/api/prop-firm/plans/").status_code == 200


def test_plan_detail(api_client):
    plan = PlanFactory()
    response = api_client.get(f"/api/prop-firm/plans/{plan.pk}/")
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "$50K Challenge"


def test_inactive_or_unknown_plan_is_404(api_client):
    plan = PlanFactory(is_active=False)
    for plan_id in (plan.pk, 999999):
        response = api_client.get(f"/api/prop-firm/plans/{plan_id}/")
        assert response.status_code == 404
        assert response.json()["code"] == "PLAN_NOT_FOUND"
