"""The set-based sweep: constant queries, bulk writes, idempotent, flags only the few."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from account.models import User
from prop_firm.models import AccountActivity, EquitySnapshot, PropFirmAccount, RuleViolation
from prop_firm.services import rule_engine
from prop_firm.services.trading_day import day_key
from prop_firm.tests.factories import (
    AssetFactory,
    PlanFactory,
    active_account,
    open_position,
    put_quote,
)

pytestmark = pytest.mark.django_db


def _book(count: int, plan, user) -> None:
    """`count` ACTIVE accounts at B0 with two open longs each, written in bulk."""
    from paper_trading.models import Trade

    now = timezone.now()
    b0 = plan.starting_balance
    start = PropFirmAccount.objects.count()
    accounts = PropFirmAccount.objects.bulk_create(
        PropFirmAccount(
            user=user,
            plan=plan,
            account_number=f"PA{start + i:08d}",
            status="ACTIVE",
            starting_balance=b0,
            current_balance=b0,
            equity=b0,
            sod_balance=b0,
            sod_equity=b0,
            eod_hwm=b0,
            peak_equity=b0,
            max_loss_floor=b0 - plan.max_total_loss,
            sod_day=day_key(now),  # steady state: today's reset already taken
            stage_started_at=now,
            activated_at=now,
        )
        for i in range(count)
    )
    assets = [AssetFactory(symbol=s) for s in ("AAA", "BBB")]
    Trade.objects.bulk_create(
        Trade(
            account=account,
            asset=asset,
            direction="LONG",
            status="OPEN",
            quantity=Decimal("10"),
            entry_price=Decimal("100"),
            entry_at=now,
        )
        for account in accounts
        for asset in assets
    )


def _sweep_queries(count: int, alice) -> int:
    _book(count, PlanFactory(), alice)
    put_quote("AAA", "101.00")
    put_quote("BBB", "99.50")
    with CaptureQueriesContext(connection) as queries:
        stats = rule_engine.sweep(chunk_size=1000)
    assert stats.accounts == count and stats.written == count and not stats.flagged
    return len(queries)


def test_sweep_query_count_does_not_grow_with_accounts(alice):
    small = _sweep_queries(10, alice)
    PropFirmAccount.objects.update(status="CLOSED")
    large = _sweep_queries(990, alice)  # 990 new + 10 closed ids: still one chunk
    assert small == large


def test_sweep_marks_in_bulk_and_records_one_equity_point_per_interval(alice):
    account = active_account(alice)
    open_position(account, "AAA", 10, "100.00")
    put_quote("AAA", "102.00")
    rule_engine.sweep()
    account.refresh_from_db()
    assert (account.equity, account.unrealized_pl) == (Decimal("50020.00"), Decimal("20.00"))
    assert account.peak_equity == Decimal("50020.00")
    assert EquitySnapshot.objects.filter(account=account).count() == 1  # activation's
    later = timezone.now() + timedelta(minutes=61)
    rule_engine.sweep(now=later)
    rule_engine.sweep(now=later + timedelta(seconds=5))
    assert EquitySnapshot.objects.filter(account=account).count() == 2


def test_rerunning_the_sweep_changes_nothing(alice):
    account = active_account(alice)
    open_position(account, "AAA", 100, "400.00")
    put_quote("AAA", "379.00")  # 84% of the daily room: one warning
    now = timezone.now()
    first = rule_engine.sweep(now=now)
    assert first.flagged == [account.pk]
    marks = PropFirmAccount.objects.values().get(pk=account.pk)
    counts = (AccountActivity.objects.count(), EquitySnapshot.objects.count())
    second = rule_engine.sweep(now=now + timedelta(seconds=5))
    assert (second.written, second.flagged, second.snapshots) == (0, [], 0)
    assert PropFirmAccount.objects.values().get(pk=account.pk) == marks
    assert (AccountActivity.objects.count(), EquitySnapshot.objects.count()) == counts


def test_sweep_fails_a_breached_account_through_the_per_account_path(alice):
    healthy = active_account(alice)
    breached = active_account(alice)
    open_position(healthy, "AAA", 10, "100.00")
    open_position(breached, "BBB", 100, "400.00")
    put_quote("AAA", "100.00")
    put_quote("BBB", "370.00")
    stats = rule_engine.sweep()
    assert stats.flagged == [breached.pk]
    breached.refresh_from_db()
    healthy.refresh_from_db()
    assert (breached.status, healthy.status) == ("FAILED", "ACTIVE")
    assert RuleViolation.objects.get().account == breached


def test_sweep_never_fails_on_stale_quotes(alice):
    account = active_account(alice)
    open_position(account, "AAA", 100, "400.00")
    put_quote("AAA", "100.00", at=timezone.now() - timedelta(minutes=5))
    stats = rule_engine.sweep()
    assert (stats.flagged, stats.stale) == ([], 1)
    account.refresh_from_db()
    assert account.status == "ACTIVE"
    assert account.peak_equity == Decimal("50000.00")


def test_sweep_never_lowers_a_high_water_mark(alice):
    account = active_account(alice)
    open_position(account, "AAA", 10, "100.00")
    PropFirmAccount.objects.filter(pk=account.pk).update(peak_equity=Decimal("60000"))
    put_quote("AAA", "101.00")
    rule_engine.sweep()
    account.refresh_from_db()
    assert account.peak_equity == Decimal("60000.00")


def test_run_rule_sweep_command(alice, capsys):
    from django.core.management import call_command

    active_account(alice)
    call_command("run_rule_sweep")
    assert "Swept 1 account(s)" in capsys.readouterr().out


def test_sweep_task_runs_the_chunks(alice):
    from prop_firm.tasks import rule_sweep

    account = active_account(User.objects.get(pk=alice.pk))
    open_position(account, "AAA", 10, "100.00")
    put_quote("AAA", "105.00")
    assert rule_sweep.delay().get() == 1
    account.refresh_from_db()
    assert account.equity == Decimal("50050.00")
