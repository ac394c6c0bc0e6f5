"""The staff API's resources: dashboard, users, accounts, plans, violations, trades, assets,
watchlists. Lists are paginated with pinned query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import Asset, WatchList, WatchListAsset
from paper_trading.models import Trade
from prop_firm.models import AccountActivity, PropFirmAccount, PropFirmPlan, RuleViolation
from prop_firm.payouts.models import Payout
from prop_firm.payouts.testing import closed_trade, funded_account, plan_create
from prop_firm.services.lifecycle import account_create_pending

ADMIN = "/api/prop-firm/admin/"


@pytest.fixture
def client(client_for, staff):
    return client_for(staff)


@pytest.fixture
def account(alice):
    account = funded_account(alice)
    closed_trade(account, "1000.00", at=timezone.now() - timedelta(hours=1))
    return account


# --------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------


def test_the_dashboard_sums_up_the_firm(client, alice, bob, account):
    plan = account.plan
    PropFirmAccount.objects.create(
        user=bob,
        plan=plan,
        account_number="PE00000001",
        status="PASSED",
        stage="EVALUATION",
        starting_balance=plan.starting_balance,
    )
    failed = PropFirmAccount.objects.create(
        user=bob,
        plan=plan,
        account_number="PE00000002",
        status="FAILED",
        stage="EVALUATION",
        starting_balance=plan.starting_balance,
    )
    RuleViolation.objects.create(
        account=failed,
        violation_type="DAILY_LOSS",
        description="Daily loss",
        occurred_at=timezone.now(),
    )
    Payout.objects.create(
        account=account,
        amount=Decimal("100.00"),
        profit_split=Decimal("80.00"),
        trader_share=Decimal("80.00"),
        status="COMPLETED",
        payment_method="crypto",
        requested_at=timezone.now(),
    )
    account.equity = Decimal("101000.00")
    account.save(update_fields=["equity"])

    response = client.get(f"{ADMIN}dashboard/")

    assert response.status_code == 200
    data = response.json()  # bare: the web app reads the figures at the top level
    # The web app's names (SPA-CONTRACT.md §6.1).
    assert (data["users_count"], data["accounts_count"], data["active_accounts"]) == (3, 3, 1)
    assert (data["plans_count"], data["payouts_count"], data["violations_count"]) == (1, 1, 1)
    assert data["revenue_stats"]["pending_payouts"] == "0.00"
    assert [a["account_number"] for a in data["recent_accounts"]] == [
        "PE00000002",
        "PE00000001",
        account.account_number,
    ]
    assert data["recent_accounts"][0]["user_email"] == "bob@example.com"
    assert data["recent_violations"][0]["account_number"] == "PE00000002"
    assert data["recent_violations"][0]["violation_type"] == "DAILY_LOSS"
    # Our own figures, beside them.
    assert data["accounts"]["total"] == 3
    assert data["accounts"]["by_status"]["ACTIVE"] == 1
    assert data["accounts"]["active_by_stage"] == {"EVALUATION": 0, "FUNDED": 1}
    assert data["pass_rate_by_plan"] == [
        {"plan_id": plan.pk, "plan_name": plan.name, "passed": 1, "failed": 1, "pass_rate": 50}
    ]
    assert data["breaches_today"]["by_rule"]["DAILY_LOSS"] == 1
    assert data["payouts"] == {
        "pending_count": 0,
        "pending_amount": "0.00",
        "paid_count": 1,
        "paid_amount": "80.00",
    }
    # One funded account 1,000.00 above B0 at an 80% split: 800.00 the firm would owe.
    assert data["exposure"]["funded_profit"] == "1000.00"
    assert data["exposure"]["funded_profit_share"] == "800.00"
    assert data["exposure"]["total"] == "800.00"
    assert set(data["revenue"]) == {"today", "last_30_days"}


# --------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------


def test_users_are_listed_searched_and_counted_in_fixed_queries(
    client, alice, bob, account, django_assert_num_queries
):
    with django_assert_num_queries(3):  # the staff user (token), count, page
        body = client.get(f"{ADMIN}users/").json()

    assert body["count"] == 3
    assert client.get(f"{ADMIN}users/", {"search": "alice"}).json()["count"] == 1
    row = next(u for u in body["results"] if u["email"] == "alice@example.com")
    assert (row["account_count"], row["accounts_count"]) == (1, 1)
    assert row["total_balance"] == "101000.00"
    assert row["created_at"] == row["date_joined"]
    funded_account(alice)  # a second account: still three queries, the balances summed
    with django_assert_num_queries(3):
        body = client.get(f"{ADMIN}users/").json()
    row = next(u for u in body["results"] if u["email"] == "alice@example.com")
    assert (row["accounts_count"], row["total_balance"]) == (2, "201000.00")
    assert client.get(f"{ADMIN}users/", {"is_admin": "true"}).json()["count"] == 1


def test_a_user_is_patched_and_toggled(client, alice):
    response = client.patch(f"{ADMIN}users/{alice.pk}/", {"name": "Alice T."}, format="json")
    assert response.json()["data"]["name"] == "Alice T."

    assert client.post(f"{ADMIN}users/{alice.pk}/toggle_admin/").json()["data"]["is_admin"] is True
    verified = client.post(f"{ADMIN}users/{alice.pk}/toggle_verified/").json()["data"]
    assert verified["is_verified"] is True


def test_staff_cannot_demote_or_delete_themselves(client, staff):
    assert client.post(f"{ADMIN}users/{staff.pk}/toggle_admin/").status_code == 409
    assert client.delete(f"{ADMIN}users/{staff.pk}/").status_code == 409


def test_a_user_with_accounts_is_kept(client, alice, bob, account):
    assert client.delete(f"{ADMIN}users/{alice.pk}/").json()["code"] == "USER_HAS_ACCOUNTS"
    assert client.delete(f"{ADMIN}users/{bob.pk}/").status_code == 204


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


def test_accounts_are_listed_with_filters_in_fixed_queries(
    client, alice, bob, account, django_assert_num_queries
):
    funded_account(bob)
    with django_assert_num_queries(3):
        body = client.get(f"{ADMIN}accounts/").json()

    assert body["count"] == 2
    assert client.get(f"{ADMIN}accounts/", {"search": "bob@"}).json()["count"] == 1
    assert client.get(f"{ADMIN}accounts/", {"status": "FAILED"}).json()["count"] == 0
    row = next(r for r in body["results"] if r["id"] == account.pk)
    assert row["user"]["email"] == row["user_email"] == "alice@example.com"
    assert row["total_winning_trades"] == 1
    assert (row["pnl_percentage"], row["days_active"]) == (1, 1)  # 1,000 on 100,000; day one
    for _ in range(5):
        funded_account(bob)
    with django_assert_num_queries(3):
        assert len(client.get(f"{ADMIN}accounts/").json()["results"]) == 7


def test_an_account_detail_shows_the_live_numbers(client, account):
    RuleViolation.objects.create(
        account=account, violation_type="INACTIVITY", description="Idle", occurred_at=timezone.now()
    )
    data = client.get(f"{ADMIN}accounts/{account.pk}/").json()  # bare

    assert data["current_balance"] == "101000.00"
    assert data["user"]["email"] == data["user_email"] == "alice@example.com"
    assert data["user_name"] == "Alice Trader"
    assert (data["total_pnl"], data["pnl_percentage"]) == ("1000.00", 1)
    assert (data["open_trades"], data["days_active"]) == (0, 1)
    assert isinstance(data["trading_days"], int)
    assert "daily_loss_floor" in data
    [trade] = data["recent_trades"]
    assert (trade["realized_pl"], trade["direction"], trade["exit_price"] is not None) == (
        "1000.00",
        "LONG",
        True,
    )
    assert {"id", "symbol", "quantity", "entry_price"} <= set(trade)
    [violation] = data["violations"]
    assert (violation["type"], violation["description"]) == ("INACTIVITY", "Idle")


def test_the_account_detail_shows_the_staff_notes_as_admin_notes(client, account):
    client.post(f"{ADMIN}accounts/{account.pk}/add_note/", {"note": "KYC checked."})
    data = client.get(f"{ADMIN}accounts/{account.pk}/").json()
    assert data["admin_notes"].endswith("KYC checked.")
    assert data["admin_notes"] == data["notes"]


def test_only_notes_are_patched_and_a_note_is_added_with_an_activity(client, account):
    response = client.patch(
        f"{ADMIN}accounts/{account.pk}/", {"notes": "VIP", "status": "FAILED"}, format="json"
    )
    assert response.json()["data"]["notes"] == "VIP"
    assert response.json()["data"]["status"] == "ACTIVE"

    data = client.post(f"{ADMIN}accounts/{account.pk}/add_note/", {"note": "Called."}).json()
    assert data["data"]["notes"].startswith("VIP\n[")
    assert AccountActivity.objects.filter(account=account, kind="NOTE").count() == 1


def test_status_changes_go_through_the_lifecycle(client, account):
    response = client.post(
        f"{ADMIN}accounts/{account.pk}/change_status/",
        {"status": "SUSPENDED", "reason": "Review"},
    )

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "SUSPENDED"
    assert AccountActivity.objects.filter(account=account, kind="SUSPENDED").exists()
    passed = client.post(
        f"{ADMIN}accounts/{account.pk}/change_status/", {"status": "PASSED", "reason": "x"}
    )
    assert passed.status_code == 409


def test_a_status_change_without_a_reason_is_audited_with_who_and_how(client, staff, account):
    """The web app sends only {status}: accepted, and the audit record names the staff."""
    response = client.post(f"{ADMIN}accounts/{account.pk}/change_status/", {"status": "SUSPENDED"})

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "SUSPENDED"
    audit = AccountActivity.objects.get(account=account, kind="SUSPENDED")
    assert audit.actor == staff
    assert "staff@example.com" in audit.message and "staff API" in audit.message


def test_a_pending_account_is_activated(client, alice):
    pending = account_create_pending(user=alice, plan=plan_create())

    response = client.post(f"{ADMIN}accounts/{pending.pk}/activate/")

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "ACTIVE"
    assert response.json()["data"]["current_balance"] == "100000.00"


def test_update_balance_re_marks_the_account(client, account):
    response = client.post(f"{ADMIN}accounts/{account.pk}/update_balance/")

    assert response.status_code == 200
    assert response.json()["violations"] == []


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------

PLAN = {
    "name": "$25K Challenge",
    "starting_balance": "25000.00",
    "price": "149.00",
    "max_daily_loss": "1250.00",
    "max_total_loss": "2500.00",
    "profit_target": "2500.00",
}


def test_plans_are_created_edited_toggled_and_deleted(client):
    created = client.post(f"{ADMIN}plans/", PLAN, format="json")
    assert created.status_code == 201, created.json()
    plan_id = created.json()["data"]["id"]

    patched = client.patch(f"{ADMIN}plans/{plan_id}/", {"profit_split": "90.00"}, format="json")
    assert patched.json()["data"]["profit_split"] == "90.00"
    toggled = client.post(f"{ADMIN}plans/{plan_id}/toggle_active/").json()["data"]
    assert toggled["is_active"] is False
    assert client.delete(f"{ADMIN}plans/{plan_id}/").status_code == 204
    assert not PropFirmPlan.objects.filter(pk=plan_id).exists()


def test_an_invalid_plan_is_refused(client):
    response = client.post(f"{ADMIN}plans/", {**PLAN, "max_daily_loss": "30000.00"}, format="json")

    assert response.status_code == 400
    assert "max_daily_loss" in response.json()["errors"]


def test_the_web_apps_plan_form_is_accepted_with_numbers_and_leverage(client):
    """The staff form sends numbers and `leverage` (SPA-CONTRACT.md §6.4)."""
    form = {
        "name": "$10K Starter",
        "description": "Small",
        "starting_balance": 10000,
        "price": 99,
        "max_daily_loss": 500,
        "max_total_loss": 1000,
        "profit_target": 800,
        "min_trading_days": 3,
        "max_position_size": 25,
        "profit_split": 85,
        "leverage": 2,
        "is_active": True,
    }
    created = client.post(f"{ADMIN}plans/", form, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()["data"]
    assert (data["leverage"], data["max_leverage"], data["active_accounts"]) == (2, "2.00", 0)
    patched = client.patch(f"{ADMIN}plans/{data['id']}/", {"leverage": 4}, format="json")
    assert patched.json()["data"]["leverage"] == 4


def test_a_position_size_in_dollars_is_refused_with_a_sentence_saying_it_is_a_percent(client):
    response = client.post(f"{ADMIN}plans/", {**PLAN, "max_position_size": 5000}, format="json")

    assert response.status_code == 400
    [message] = response.json()["errors"]["max_position_size"]
    assert "percent of the balance" in message and "1–100" in message
    assert not PropFirmPlan.objects.filter(name=PLAN["name"]).exists()


def test_a_plan_counts_its_active_accounts(client, alice, account):
    funded_account(alice, plan=account.plan, status="FAILED")
    row = client.get(f"{ADMIN}plans/").json()["results"][0]
    assert (row["account_count"], row["active_accounts"]) == (2, 1)


def test_a_plan_with_accounts_is_not_deleted(client, account):
    assert client.delete(f"{ADMIN}plans/{account.plan_id}/").json()["code"] == "PLAN_IN_USE"


def test_a_plan_with_accounts_keeps_its_starting_balance(client, account):
    response = client.patch(
        f"{ADMIN}plans/{account.plan_id}/", {"starting_balance": "200000.00"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "PLAN_IN_USE")
    account.plan.refresh_from_db()
    assert account.plan.starting_balance == account.starting_balance


def test_plans_are_listed_in_fixed_queries(client, account, django_assert_num_queries):
    plan_create(name="Other")
    with django_assert_num_queries(4):  # the staff user (token), count, page, phases
        body = client.get(f"{ADMIN}plans/").json()
    assert body["count"] == 2


# --------------------------------------------------------------------------------------
# Violations and trades
# --------------------------------------------------------------------------------------


def test_violations_are_listed_and_filtered(client, account, django_assert_num_queries):
    RuleViolation.objects.create(
        account=account,
        violation_type="TOTAL_LOSS",
        description="Max loss",
        occurred_at=timezone.now(),
    )
    with django_assert_num_queries(3):
        body = client.get(f"{ADMIN}violations/").json()

    assert body["count"] == 1
    assert body["results"][0]["account_number"] == account.account_number
    assert body["results"][0]["user_email"] == "alice@example.com"
    filtered = client.get(f"{ADMIN}violations/", {"violation_type": "DAILY_LOSS"}).json()
    assert filtered["count"] == 0


def test_trades_are_listed_shown_and_summed(client, bob, account, django_assert_num_queries):
    closed_trade(account, "-200.00")
    closed_trade(funded_account(bob), "50.00")
    with django_assert_num_queries(3):
        body = client.get(f"{ADMIN}trades/").json()
    assert body["count"] == 3
    assert {row["user_email"] for row in body["results"]} == {"alice@example.com", bob.email}
    assert all(row["closed_at"] == row["exit_at"] for row in body["results"])
    trade = Trade.objects.filter(account=account).first()

    detail = client.get(f"{ADMIN}trades/{trade.pk}/").json()["data"]
    stats = client.get(f"{ADMIN}trades/statistics/").json()  # bare

    assert detail["id"] == trade.pk
    assert (stats["total_trades"], stats["open_trades"], stats["closed_trades"]) == (3, 0, 3)
    assert stats["winning_trades"] == 2
    assert stats["total_realized_pl"] == "850.00"
    assert stats["win_rate"] == 66.67


# --------------------------------------------------------------------------------------
# Assets and watchlists
# --------------------------------------------------------------------------------------


def test_assets_are_listed_patched_and_toggled(client, db, django_assert_num_queries):
    asset = Asset.objects.create(symbol="MSFT", name="Microsoft", tradable=True)
    Asset.objects.create(symbol="TSLA", name="Tesla", tradable=False)
    with django_assert_num_queries(3):
        body = client.get(f"{ADMIN}assets/", {"tradable": "true"}).json()
    assert [a["symbol"] for a in body["results"]] == ["MSFT"]
    assert (body["results"][0]["watchlists_count"], body["results"][0]["trades_count"]) == (0, 0)

    patched = client.patch(f"{ADMIN}assets/{asset.pk}/", {"shortable": True}, format="json")
    assert patched.json()["data"]["shortable"] is True
    toggled = client.post(f"{ADMIN}assets/{asset.pk}/toggle_tradable/").json()["data"]
    assert toggled["tradable"] is False


def test_an_asset_counts_its_watchlists_and_trades_without_multiplying(
    client, alice, bob, account, django_assert_num_queries
):
    closed_trade(account, "10.00")
    closed_trade(account, "20.00")
    asset = Trade.objects.filter(account=account).first().asset
    for owner in (alice, bob):
        listed = WatchList.objects.create(user=owner, name="Mine")
        WatchListAsset.objects.create(watchlist=listed, asset=asset)
    with django_assert_num_queries(3):
        row = client.get(f"{ADMIN}assets/", {"search": asset.symbol}).json()["results"][0]
    assert (row["watchlists_count"], row["trades_count"]) == (2, 3)
    detail = client.get(f"{ADMIN}assets/{asset.pk}/").json()["data"]
    assert (detail["watchlists_count"], detail["trades_count"]) == (2, 3)


def test_watchlists_are_listed_toggled_and_deleted(client, alice, django_assert_num_queries):
    watchlist = WatchList.objects.create(user=alice, name="Tech", is_default=True)
    asset = Asset.objects.create(symbol="NVDA", name="Nvidia")
    WatchListAsset.objects.create(watchlist=watchlist, asset=asset)
    with django_assert_num_queries(3):
        body = client.get(f"{ADMIN}watchlists/").json()
    assert body["results"][0]["asset_count"] == body["results"][0]["assets_count"] == 1
    assert body["results"][0]["user_email"] == "alice@example.com"

    detail = client.get(f"{ADMIN}watchlists/{watchlist.pk}/").json()  # bare, assets flat
    assert (detail["name"], detail["user_email"], detail["assets_count"]) == (
        "Tech",
        "alice@example.com",
        1,
    )
    assert detail["assets"][0]["id"] == asset.pk
    assert (detail["assets"][0]["symbol"], detail["assets"][0]["name"]) == ("NVDA", "Nvidia")
    toggled = client.post(f"{ADMIN}watchlists/{watchlist.pk}/toggle_active/").json()["data"]
    assert toggled["is_active"] is False
    renamed = client.patch(f"{ADMIN}watchlists/{watchlist.pk}/", {"name": "AI"}, format="json")
    assert renamed.json()["data"]["name"] == "AI"
    assert client.delete(f"{ADMIN}watchlists/{watchlist.pk}/").status_code == 204


def test_the_dashboard_revenue_counts_each_window_once(client, alice, bob, staff, account):
    from prop_firm.tests.test_django_admin import paid_purchase

    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0)
    paid_purchase(account, amount="99.00", paid_at=now - timedelta(minutes=5))
    paid_purchase(funded_account(bob), amount="149.00", paid_at=now - timedelta(days=10))
    paid_purchase(funded_account(staff), amount="299.00", paid_at=now - timedelta(days=45))
    this_month = sum(
        (
            Decimal(a)
            for a, at in (("99.00", 0), ("149.00", 10))
            if now - timedelta(days=at) >= month_start
        ),
        Decimal("0"),
    )

    data = client.get(f"{ADMIN}dashboard/").json()

    assert data["revenue"]["last_30_days"] == {"amount": "248.00", "count": 2}
    assert data["revenue"]["today"]["count"] >= 1
    assert data["revenue_stats"]["total_revenue"] == "547.00"
    assert data["revenue_stats"]["monthly_revenue"] == f"{this_month:.2f}"
