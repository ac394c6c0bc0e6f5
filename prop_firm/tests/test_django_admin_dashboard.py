"""The firm's dashboard in the Django admin: its figures, its SVG charts (no CDN, no
script), a fixed number of queries, staff only."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from prop_firm.admin_site.selectors import dashboard_figures, open_exposure, revenue_by_day
from prop_firm.tests.factories import PlanFactory, active_account, open_position, put_quote
from prop_firm.tests.test_django_admin import (
    paid_purchase,
    pending_payout,
    populate,
    queries_for,
    staff_client,
    violation,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:prop_firm_dashboard"


@pytest.fixture
def admin(client, staff):
    return staff_client(client, staff)


def test_the_exposure_is_the_gross_notional_at_the_liquidation_prices(alice, bob):
    put_quote("AAPL", bid="99.00", ask="101.00")
    put_quote("MSFT", bid="200.00", ask="202.00")
    open_position(active_account(alice, PlanFactory()), "AAPL", 10, "90.00")
    open_position(active_account(bob, PlanFactory()), "MSFT", 5, "210.00", direction="SHORT")
    open_position(active_account(bob, PlanFactory()), "AAPL", "2.5", "95.00")

    exposure = open_exposure(now=timezone.now())

    assert exposure["long"] == Decimal("1237.50")  # 12.5 AAPL at the bid 99.00
    assert exposure["short"] == Decimal("1010.00")  # 5 MSFT at the ask 202.00
    assert exposure["gross"] == Decimal("2247.50")
    assert exposure["net"] == Decimal("227.50")
    assert exposure["positions"] == 3
    assert [s.symbol for s in exposure["symbols"]] == ["AAPL", "MSFT"]
    assert exposure["stale"] == 0


def test_a_position_without_quote_counts_at_its_entry_price_and_is_flagged(alice):
    open_position(active_account(alice, PlanFactory()), "ZZZZ", 4, "25.00")

    exposure = open_exposure(now=timezone.now())

    assert exposure["gross"] == Decimal("100.00")
    assert (exposure["unpriced"], exposure["stale"]) == (1, 1)


def test_a_stale_quote_is_flagged(alice):
    put_quote("AAPL", "99.00", "101.00", at=timezone.now() - timedelta(minutes=10))
    open_position(active_account(alice, PlanFactory()), "AAPL", 1, "90.00")

    exposure = open_exposure(now=timezone.now())

    assert exposure["gross"] == Decimal("99.00")
    assert (exposure["unpriced"], exposure["stale"]) == (0, 1)


def test_revenue_per_day_fills_the_days_without_sales(alice, bob):
    now = timezone.now()
    paid_purchase(active_account(alice, PlanFactory()), amount="99.00", paid_at=now)
    paid_purchase(active_account(bob, PlanFactory()), amount="149.00", paid_at=now)
    paid_purchase(
        active_account(bob, PlanFactory()), amount="299.00", paid_at=now - timedelta(days=2)
    )

    days = revenue_by_day(now=now)

    assert len(days) == 30
    assert days[-1] == {"day": timezone.localdate(now), "amount": Decimal("248.00"), "count": 2}
    assert days[-3]["amount"] == Decimal("299.00")
    assert days[-2]["amount"] == Decimal("0.00")


def test_the_figures_cover_accounts_breaches_and_payouts(alice):
    account = active_account(alice, PlanFactory())
    violation(account, "TOTAL_LOSS")
    pending_payout()

    figures = dashboard_figures()

    matrix = figures["accounts"]["by_status_and_stage"]
    assert matrix["ACTIVE"] == {"EVALUATION": 1, "FUNDED": 1}
    assert figures["breaches_today"]["by_rule"]["TOTAL_LOSS"] == 1
    assert figures["payouts"]["pending_count"] == 1
    assert figures["payouts"]["pending_amount"] == Decimal("800.00")


def test_the_page_shows_the_figures_and_svg_charts(admin, alice):
    account = active_account(alice, PlanFactory())
    paid_purchase(account, amount="99.00")
    put_quote("AAPL", bid="99.00", ask="101.00")
    open_position(account, "AAPL", 10, "90.00")

    response = admin.get(reverse(DASHBOARD))

    assert response.status_code == 200
    text = response.content.decode()
    assert "$99.00" in text  # revenue today
    assert "$990.00" in text  # gross notional: 10 × the bid
    assert text.count("<svg") >= 7
    assert 'aria-label="Revenue per day, last 30 days"' in text


def test_the_page_loads_nothing_from_outside(admin):
    populate(1)

    text = admin.get(reverse(DASHBOARD)).content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert sources
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    assert "/static/prop_firm/admin/dashboard.css" in text


def test_the_page_takes_the_same_queries_for_3_and_30_rows(admin):
    populate(3)
    few = queries_for(admin, reverse(DASHBOARD))
    populate(27)
    many = queries_for(admin, reverse(DASHBOARD))

    assert many == few
    assert many <= 15


def test_the_admin_index_links_to_the_dashboard(admin):
    text = admin.get(reverse("admin:index")).content.decode()

    assert f'href="{reverse(DASHBOARD)}"' in text


def test_labels_are_escaped_in_the_charts(admin, alice):
    active_account(alice, PlanFactory(name="<script>alert(1)</script>"))

    text = admin.get(reverse(DASHBOARD)).content.decode()

    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize("who", ["anonymous", "trader"])
def test_non_staff_are_sent_to_the_login_page(client, alice, who):
    if who == "trader":
        client.force_login(alice)

    response = client.get(reverse(DASHBOARD))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
