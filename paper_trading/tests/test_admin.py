"""The admin shows trades and the ledger; the ledger cannot be added, changed or deleted."""

from decimal import Decimal

import pytest
from django.urls import reverse

from paper_trading.models import LedgerEntry, Trade
from paper_trading.services.trades import trade_place
from paper_trading.tests.factories import quote


@pytest.fixture
def admin_client(client, db):
    from account.models import User

    user = User.objects.create_superuser(email="root@example.com", name="Root", password="x")
    client.force_login(user)
    return client


@pytest.fixture
def trade(account, aapl):
    quote("AAPL", "99.98", "100.00")
    return trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("1"))


def test_the_ledger_and_trade_lists_render(admin_client, trade):
    assert (
        admin_client.get(reverse("admin:paper_trading_ledgerentry_changelist")).status_code == 200
    )
    assert admin_client.get(reverse("admin:paper_trading_trade_changelist")).status_code == 200
    r = admin_client.get(reverse("admin:paper_trading_trade_changelist"), {"q": "AAPL"})
    assert r.status_code == 200


def test_the_ledger_cannot_be_added_changed_or_deleted(admin_client, trade):
    entry = LedgerEntry.objects.filter(trade=trade).first()
    assert admin_client.get(reverse("admin:paper_trading_ledgerentry_add")).status_code == 403
    r = admin_client.post(
        reverse("admin:paper_trading_ledgerentry_change", args=[entry.pk]), {"amount": "5"}
    )
    assert r.status_code == 403
    r = admin_client.post(reverse("admin:paper_trading_ledgerentry_delete", args=[entry.pk]))
    assert r.status_code == 403
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("-1.00")


def test_the_close_action_goes_through_the_service(admin_client, trade):
    r = admin_client.post(
        reverse("admin:paper_trading_trade_changelist"),
        {"action": "close_trades", "_selected_action": [trade.pk]},
    )
    assert r.status_code == 302
    trade.refresh_from_db()
    assert (trade.status, trade.close_reason) == ("CLOSED", "MANUAL")
    assert Trade.objects.count() == 1
