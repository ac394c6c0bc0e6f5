"""The daily reset at 17:00 New York: the snapshot belongs to the day key."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from prop_firm.models import PropFirmAccount
from prop_firm.services.rule_engine import daily_reset
from prop_firm.services.trading_day import next_reset_at
from prop_firm.tests.factories import active_account, open_position, put_quote

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=NY)


def _post(account, amount: str, kind: str = "ADJUSTMENT") -> None:
    from paper_trading.services.ledger import ledger_post

    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update().get(pk=account.pk)
        ledger_post(account=locked, kind=kind, amount=Decimal(amount))


def test_reset_snapshots_balance_equity_and_raises_the_eod_mark(alice):
    with time_machine.travel(MONDAY_NOON, tick=False):
        account = active_account(alice)
        assert account.sod_day == date(2026, 11, 23)
        _post(account, "300.00")
        open_position(account, "AAA", 10, "100.00")
        put_quote("AAA", "90.00")
        account.update_balance()  # E = 50,300 − 100
    with time_machine.travel(MONDAY_NOON.replace(hour=17, minute=0), tick=False):
        stats = daily_reset()
    assert (stats.day, stats.snapshots) == (date(2026, 11, 24), 1)
    account.refresh_from_db()
    assert account.sod_day == date(2026, 11, 24)
    assert (account.sod_balance, account.sod_equity) == (Decimal("50300.00"), Decimal("50200.00"))
    assert account.eod_hwm == Decimal("50300.00")


def test_reset_twice_changes_nothing(alice):
    with time_machine.travel(MONDAY_NOON, tick=False):
        account = active_account(alice)
    with time_machine.travel(MONDAY_NOON.replace(hour=17, minute=1), tick=False):
        assert daily_reset().snapshots == 1
        _post(account, "-200.00")  # a loss after the reset: tomorrow's business
        assert daily_reset().snapshots == 0
    account.refresh_from_db()
    assert account.sod_balance == Decimal("50000.00")


def test_late_reset_takes_the_balance_at_the_reset_instant(alice):
    with time_machine.travel(MONDAY_NOON, tick=False):
        account = active_account(alice)
        _post(account, "500.00")
    with time_machine.travel(MONDAY_NOON.replace(hour=17, minute=20), tick=False):
        _post(account, "-1000.00")  # after 17:00: belongs to the new day
    with time_machine.travel(MONDAY_NOON.replace(hour=18, minute=30), tick=False):
        assert daily_reset().snapshots == 1
    account.refresh_from_db()
    assert account.current_balance == Decimal("49500.00")
    assert account.sod_balance == Decimal("50500.00")
    assert account.eod_hwm == Decimal("50500.00")


def test_late_reset_does_not_count_a_withdrawal_as_the_new_days_result(alice):
    with time_machine.travel(MONDAY_NOON, tick=False):
        account = active_account(alice)
        _post(account, "500.00")
    with time_machine.travel(MONDAY_NOON.replace(hour=17, minute=20), tick=False):
        _post(account, "-500.00", kind="PAYOUT")  # profit withdrawn after the reset instant
    with time_machine.travel(MONDAY_NOON.replace(hour=18, minute=30), tick=False):
        assert daily_reset().snapshots == 1
    account.refresh_from_db()
    # The day starts from what the trader holds; the withdrawal is not a loss to recover.
    assert account.current_balance == account.sod_balance == Decimal("50000.00")


def test_before_the_reset_time_nothing_is_due(alice):
    with time_machine.travel(MONDAY_NOON, tick=False):
        active_account(alice)
    with time_machine.travel(MONDAY_NOON.replace(hour=16, minute=59), tick=False):
        assert daily_reset().snapshots == 0


def test_reset_fails_inactive_accounts(alice):
    with time_machine.travel(MONDAY_NOON, tick=False):
        account = active_account(alice)
    with time_machine.travel(MONDAY_NOON + timedelta(days=31), tick=False):
        stats = daily_reset()
    assert stats.checked == [account.pk]
    account.refresh_from_db()
    assert account.status == "FAILED"
    assert account.violations.get().violation_type == "INACTIVITY"


def test_next_reset_at_is_17_new_york():
    assert next_reset_at(MONDAY_NOON) == MONDAY_NOON.replace(hour=17)
    assert next_reset_at(MONDAY_NOON.replace(hour=17)) == datetime(2026, 11, 24, 17, tzinfo=NY)


def test_daily_reset_command(alice, capsys):
    from django.core.management import call_command

    with time_machine.travel(MONDAY_NOON, tick=False):
        active_account(alice)
    with time_machine.travel(MONDAY_NOON.replace(hour=17, minute=5), tick=False):
        call_command("daily_reset")
    assert "1 snapshot(s)" in capsys.readouterr().out


def _losing_day_then_a_new_loss(alice):
    """Monday: B falls to 47,980.40 before 17:00. Just after 17:00 (the new day) a position
    loses 610.00: E = 47,370.40, above the new day's floor 45,480.40 but below Monday's."""
    with time_machine.travel(MONDAY_NOON, tick=False):
        account = active_account(alice)
        _post(account, "-2019.60")
    just_after_reset = MONDAY_NOON.replace(hour=17, minute=0, second=30)
    with time_machine.travel(just_after_reset, tick=False):
        open_position(account, "AAA", 100, "100.00")
        put_quote("AAA", "93.90")
    return account, just_after_reset


def test_the_sweep_before_the_reset_task_judges_the_new_day_from_its_own_start(alice):
    account, just_after_reset = _losing_day_then_a_new_loss(alice)

    with time_machine.travel(just_after_reset, tick=False):
        from prop_firm.services.rule_engine import sweep

        sweep()  # the reset task has not run yet

    account.refresh_from_db()
    assert account.status == "ACTIVE"
    assert account.sod_day == date(2026, 11, 24)
    assert account.sod_balance == Decimal("47980.40")


def test_a_check_before_the_reset_task_judges_the_new_day_from_its_own_start(alice):
    account, just_after_reset = _losing_day_then_a_new_loss(alice)

    with time_machine.travel(just_after_reset, tick=False):
        violations = account.check_rules()

    account.refresh_from_db()
    assert violations == []
    assert account.status == "ACTIVE"
    assert account.sod_balance == Decimal("47980.40")
