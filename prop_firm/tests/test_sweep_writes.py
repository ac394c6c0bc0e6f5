"""The sweep writes only what matters (issue 13): a raised high-water mark or floor, or an
equity point when due; a price that moves within the marks writes no account row."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from prop_firm.models import PropFirmAccount
from prop_firm.services import rule_engine
from prop_firm.tests.factories import active_account, open_position, put_quote

pytestmark = pytest.mark.django_db


def test_a_price_that_moves_below_the_high_water_mark_writes_no_account_row(alice):
    account = active_account(alice)
    open_position(account, "AAA", 10, "100.00")
    now = timezone.now()
    put_quote("AAA", "101.00", at=now)
    assert rule_engine.sweep(now=now).written == 1  # PEAK_E rose to 50,010
    stored = PropFirmAccount.objects.values().get(pk=account.pk)
    for seconds, price in ((5, "100.50"), (10, "99.00"), (15, "100.90")):
        put_quote("AAA", price, at=now + timedelta(seconds=seconds))
        assert rule_engine.sweep(now=now + timedelta(seconds=seconds)).written == 0
    assert PropFirmAccount.objects.values().get(pk=account.pk) == stored
    put_quote("AAA", "102.00", at=now + timedelta(seconds=20))
    assert rule_engine.sweep(now=now + timedelta(seconds=20)).written == 1
    account.refresh_from_db()
    assert (account.peak_equity, account.equity) == (Decimal("50020.00"), Decimal("50020.00"))


def test_the_equity_point_when_due_stores_the_current_marks(alice):
    account = active_account(alice)
    open_position(account, "AAA", 10, "100.00")
    later = timezone.now() + timedelta(minutes=61)
    put_quote("AAA", "95.00", at=later)
    stats = rule_engine.sweep(now=later)
    assert (stats.written, stats.snapshots) == (1, 1)
    account.refresh_from_db()
    assert (account.equity, account.unrealized_pl) == (Decimal("49950.00"), Decimal("-50.00"))
    assert account.peak_equity == Decimal("50000.00")
