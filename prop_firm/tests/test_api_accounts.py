"""The accounts API: shapes, filters, bad inputs, 404 across users, pinned queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from prop_firm.services.lifecycle import account_create_pending
from prop_firm.services.rule_engine import sweep
from prop_firm.tests.factories import PlanFactory, active_account, open_position, put_quote

pytestmark = pytest.mark.django_db
BASE = "/api/prop-firm/accounts/"
SUBPATHS = ["", "activities/", "violations/", "statistics/", "equity_curve/"]


def test_list_shows_the_users_accounts_newest_first(alice, bob, client_for):
    plan = PlanFactory()
    older = active_account(alice, plan=plan)
    newer = account_create_pending(user=alice, plan=plan)
    active_account(bob, plan=plan)
    body = client_for(alice).get(BASE).json()
    assert body["count"] == 2
    assert [a["id"] for a in body["data"]] == [newer.pk, older.pk]
    row = body["data"][1]
    assert row["account_number"] == older.account_number
    assert (row["status"], row["stage"], row["phase"]) == ("ACTIVE", "EVALUATION", 1)
    assert row["plan_name"] == "$50K Challenge"
    assert row["plan_details"]["max_daily_loss"] == "2500.00"
    assert (row["current_balance"], row["equity"]) == ("50000.00", "50000.00")
    assert (row["profit_earned"], row["total_pnl"], row["pnl_percentage"]) == (
        "0.00",
        "0.00",
        0,
    )
    assert (row["is_verified"], row["can_trade"]) == (True, True)
    assert body["data"][0]["is_verified"] is False
    assert body["data"][0]["can_trade"] is False


def test_list_filters_by_status_and_stage(alice, client_for):
    plan = PlanFactory()
    active = active_account(alice, plan=plan)
    account_create_pending(user=alice, plan=plan)
    client = client_for(alice)
    assert [a["id"] for a in client.get(BASE, {"status": "ACTIVE"}).json()["data"]] == [active.pk]
    assert client.get(BASE, {"stage": "FUNDED"}).json()["count"] == 0


@pytest.mark.parametrize("params", [{"status": "WINNING"}, {"stage": "PRO"}])
def test_list_rejects_unknown_filters(alice, client_for, params):
    response = client_for(alice).get(BASE, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR" and next(iter(params)) in body["errors"]


def test_list_query_count_is_pinned(alice, client_for, django_assert_num_queries):
    plan = PlanFactory()
    for _ in range(5):
        active_account(alice, plan=plan)
    client = client_for(alice)
    with django_assert_num_queries(3):  # user, count, accounts with plan and trade counts
        assert client.get(BASE).status_code == 200


def test_list_needs_authentication(api_client):
    assert api_client.get(BASE).status_code == 401


def test_detail_is_live_with_floors_rooms_and_objectives(alice, client_for):
    account = active_account(alice)
    open_position(account, "AAA", 100, "100.00")
    put_quote("AAA", "95.00", "95.10")
    data = client_for(alice).get(f"{BASE}{account.pk}/").json()["data"]
    # U = −500 at the bid: E = 49,500.
    assert (data["equity"], data["unrealized_pl"]) == ("49500.00", "-500.00")
    assert (data["start_of_day_balance"], data["daily_loss_floor"]) == ("50000.00", "47500.00")
    assert (data["max_loss_floor"], data["daily_loss_room"]) == ("45000.00", "2000.00")
    assert (data["max_loss_room"], data["daily_loss"], data["total_loss"]) == (
        "4500.00",
        "500.00",
        "500.00",
    )
    assert data["can_trade"] is True and data["next_reset_at"]
    objectives = {o["rule"]: o for o in data["objectives"]}
    assert objectives["PROFIT_TARGET"] == {
        "rule": "PROFIT_TARGET",
        "label": objectives["PROFIT_TARGET"]["label"],
        "target": "5000.00",
        "current": "0.00",
        "met": False,
    }
    assert objectives["MIN_TRADING_DAYS"]["target"] == 5
    assert data["recent_activities"][0]["kind"] == "ACTIVATED"
    assert data["violations"] == [] and data["previous_account"] is None


def test_refresh_balance_acts_and_returns_the_violations(alice, client_for):
    account = active_account(alice)
    open_position(account, "AAA", 100, "100.00")
    put_quote("AAA", "70.00")  # E = 47,000: below the daily floor only
    response = client_for(alice).post(f"{BASE}{account.pk}/refresh_balance/")
    assert response.status_code == 200
    body = response.json()
    assert [v["violation_type"] for v in body["violations"]] == ["DAILY_LOSS"]
    assert body["violations"][0]["threshold_value"] == "47500.00"
    assert body["violations"][0]["actual_value"] == "47000.00"
    assert body["data"]["status"] == "FAILED" and body["data"]["can_trade"] is False
    violations = client_for(alice).get(f"{BASE}{account.pk}/violations/").json()
    assert violations["count"] == 1 and violations["data"][0]["prices"] == {"AAA": "70.00"}


def test_activities_are_paginated(alice, client_for):
    account = active_account(alice)
    body = client_for(alice).get(f"{BASE}{account.pk}/activities/", {"limit": 1}).json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]
    assert body["results"][0]["kind"] == "ACTIVATED"


def test_statistics(alice, client_for):
    from paper_trading.services.trades import trade_close, trade_place
    from prop_firm.tests.factories import AssetFactory

    account = active_account(alice)
    asset = AssetFactory(symbol="AAA")
    put_quote("AAA", "100.00")
    win = trade_place(account=account, asset=asset, direction="LONG", quantity=Decimal("10"))
    loss = trade_place(account=account, asset=asset, direction="LONG", quantity=Decimal("10"))
    put_quote("AAA", "110.00")
    trade_close(trade=win)  # +100 − 2 = 98
    put_quote("AAA", "90.00")
    trade_close(trade=loss)  # −100 − 2 = −102
    data = client_for(alice).get(f"{BASE}{account.pk}/statistics/").json()["data"]
    assert (data["total_trades"], data["closed_trades"], data["open_trades"]) == (2, 2, 0)
    assert (data["winning_trades"], data["losing_trades"], data["win_rate"]) == (1, 1, 50)
    assert (data["gross_profit"], data["total_loss"]) == ("98.00", "102.00")
    assert data["profit_earned"] == "-4.00"  # B − B0, as on the account
    assert (data["average_win"], data["average_loss"]) == ("98.00", "102.00")
    assert data["profit_factor"] == 0.96
    assert data["total_pnl"] == "-4.00" and data["trading_days"] == 1
    assert data["best_day"]["pnl"] == data["worst_day"]["pnl"] == "-4.00"
    # Peak 50,098 after the win, 49,996 after the loss.
    assert data["max_drawdown"] == "102.00"


def test_statistics_count_a_partially_closed_trade_once(alice, client_for):
    from paper_trading.services.trades import trade_close, trade_place
    from prop_firm.tests.factories import AssetFactory

    account = active_account(alice)
    put_quote("AAA", "100.00")
    trade = trade_place(
        account=account, asset=AssetFactory(symbol="AAA"), direction="LONG", quantity=Decimal("10")
    )
    put_quote("AAA", "110.00")
    trade_close(trade=trade, quantity=Decimal("4"))  # +40 − 0.40 − 1 = 38.60
    trade.refresh_from_db()
    trade_close(trade=trade)  # +60 − 0.60 − 1 = 58.40

    data = client_for(alice).get(f"{BASE}{account.pk}/statistics/").json()["data"]

    assert (data["total_trades"], data["closed_trades"], data["winning_trades"]) == (1, 1, 1)
    assert data["average_win"] == data["gross_profit"] == "97.00"


def test_a_payout_is_not_a_drawdown(alice, client_for):
    from paper_trading.services.ledger import ledger_post
    from prop_firm.models import PropFirmAccount

    account = active_account(alice)
    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update().get(pk=account.pk)
        ledger_post(account=locked, kind="REALIZED_PNL", amount=Decimal("1000.00"))
        ledger_post(account=locked, kind="PAYOUT", amount=Decimal("-1000.00"))
        locked.equity = locked.current_balance
        locked.save(update_fields=["equity"])

    data = client_for(alice).get(f"{BASE}{account.pk}/statistics/").json()["data"]

    assert data["max_drawdown"] == "0.00"


def test_equity_curve(alice, client_for):
    account = active_account(alice)
    open_position(account, "AAA", 10, "100.00")
    put_quote("AAA", "110.00")
    sweep(now=timezone.now() + timedelta(hours=2))
    client = client_for(alice)
    hourly = client.get(f"{BASE}{account.pk}/equity_curve/", {"interval": "hour"}).json()
    assert [p["equity"] for p in hourly["data"]] == ["50000.00", "50100.00"]
    daily = client.get(f"{BASE}{account.pk}/equity_curve/").json()
    assert daily["data"][-1]["equity"] == "50100.00"


def test_equity_curve_rejects_an_unknown_interval(alice, client_for):
    account = active_account(alice)
    response = client_for(alice).get(f"{BASE}{account.pk}/equity_curve/", {"interval": "week"})
    assert response.status_code == 400
    assert "interval" in response.json()["errors"]


@pytest.mark.parametrize("subpath", SUBPATHS)
def test_another_users_account_is_404(alice, bob, client_for, subpath):
    account = active_account(alice)
    response = client_for(bob).get(f"{BASE}{account.pk}/{subpath}")
    assert response.status_code == 404
    assert response.json()["code"] == "ACCOUNT_NOT_FOUND"


def test_refresh_of_another_users_account_is_404(alice, bob, client_for):
    account = active_account(alice)
    assert client_for(bob).post(f"{BASE}{account.pk}/refresh_balance/").status_code == 404


def test_refresh_balance_is_post_only(alice, client_for):
    account = active_account(alice)
    assert client_for(alice).get(f"{BASE}{account.pk}/refresh_balance/").status_code == 405


def test_the_account_list_is_whole_unless_the_client_pages_it(alice, client_for):
    plan = PlanFactory()
    for _ in range(55):
        active_account(alice, plan=plan)
    client = client_for(alice)

    whole = client.get(BASE).json()
    paged = client.get(BASE, {"limit": 20}).json()

    assert (whole["count"], len(whole["data"]), whole["next"]) == (55, 55, None)
    assert (paged["count"], len(paged["data"])) == (55, 20)
    assert paged["next"]


def test_the_account_filters_accept_any_case(alice, client_for):
    active_account(alice)

    response = client_for(alice).get(BASE, {"status": "active", "stage": "evaluation"})

    assert (response.status_code, response.json()["count"]) == (200, 1)
