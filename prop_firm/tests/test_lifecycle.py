import re
from decimal import Decimal
from unittest import mock

import pytest

from alpacabackend.api.errors import InvalidInput, StateConflict
from prop_firm.models import AccountActivity, EquitySnapshot
from prop_firm.services import lifecycle
from prop_firm.services.lifecycle import (
    account_activate,
    account_close,
    account_create_pending,
    account_fail,
    account_reinstate,
    account_suspend,
)
from prop_firm.tests.factories import (
    PlanFactory,
    active_account,
    ledger_total,
    open_position,
    put_quote,
)

pytestmark = pytest.mark.django_db


def test_create_pending_numbers_the_account_and_audits_it(alice):
    account = account_create_pending(user=alice, plan=PlanFactory())
    assert re.fullmatch(r"PA\d{8}", account.account_number)
    assert (account.status, account.stage, account.phase) == ("PENDING", "EVALUATION", 1)
    assert account.starting_balance == Decimal("50000.00")
    assert account.current_balance == 0
    activity = account.activities.get()
    assert (activity.kind, activity.actor) == ("CREATED", alice)


def test_create_pending_refuses_an_inactive_plan(alice):
    with pytest.raises(InvalidInput):
        account_create_pending(user=alice, plan=PlanFactory(is_active=False))


def test_account_number_collision_is_retried(alice):
    plan = PlanFactory()
    first = account_create_pending(user=alice, plan=plan)
    numbers = iter([first.account_number, first.account_number, "PA12345678"])
    with mock.patch.object(lifecycle, "_new_account_number", lambda: next(numbers)):
        second = account_create_pending(user=alice, plan=plan)
    assert second.account_number == "PA12345678"


def test_activate_deposits_b0_and_starts_the_stage(
    alice, staff, mailoutbox, django_capture_on_commit_callbacks
):
    account = account_create_pending(user=alice, plan=PlanFactory())
    with django_capture_on_commit_callbacks(execute=True):
        account = account_activate(account=account, actor=staff)
    assert account.status == "ACTIVE"
    assert account.activated_at and account.payment_completed_at and account.stage_started_at
    b0 = Decimal("50000.00")
    assert account.current_balance == b0 == ledger_total(account)
    assert account.ledger_entries.get().kind == "DEPOSIT"
    assert (account.sod_balance, account.sod_equity, account.eod_hwm) == (b0, b0, b0)
    assert (account.peak_equity, account.equity) == (b0, b0)
    assert account.max_loss_floor == Decimal("45000.00")
    assert account.sod_day is not None
    activity = account.activities.get(kind="ACTIVATED")
    assert activity.actor == staff
    assert (activity.before, activity.after) == ({"status": "PENDING"}, {"status": "ACTIVE"})
    assert EquitySnapshot.objects.filter(account=account, equity=b0).count() == 1
    assert len(mailoutbox) == 1
    assert account.account_number in mailoutbox[0].subject
    assert mailoutbox[0].to == ["alice@example.com"]


def test_activate_is_idempotent(alice):
    account = active_account(alice)
    again = account_activate(account=account)
    assert again.current_balance == Decimal("50000.00")
    assert account.ledger_entries.count() == 1
    assert account.activities.filter(kind="ACTIVATED").count() == 1


def test_activate_refuses_a_closed_account(alice):
    account = account_create_pending(user=alice, plan=PlanFactory())
    account_close(account=account, reason="Abandoned checkout")
    with pytest.raises(StateConflict):
        account_activate(account=account)


def test_suspend_and_reinstate(alice, staff):
    account = active_account(alice)
    account = account_suspend(account=account, reason="KYC review", actor=staff)
    assert account.status == "SUSPENDED"
    account = account_reinstate(account=account, reason="KYC passed", actor=staff)
    assert account.status == "ACTIVE"
    kinds = list(account.activities.order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == ["SUSPENDED", "REINSTATED"]


def test_transitions_need_a_reason(alice):
    account = active_account(alice)
    with pytest.raises(InvalidInput):
        account_suspend(account=account, reason="  ")


@pytest.mark.parametrize("action", [account_reinstate, account_suspend])
def test_disallowed_transition_is_a_conflict_and_writes_nothing(alice, action):
    account = account_create_pending(user=alice, plan=PlanFactory())
    with pytest.raises(StateConflict) as error:
        action(account=account, reason="why not")
    assert error.value.code == "INVALID_TRANSITION"
    assert AccountActivity.objects.filter(account=account).count() == 1


def test_staff_fail_liquidates_and_records_the_reason(alice, staff):
    account = active_account(alice)
    put_quote("AAA", "101.00", "101.10")
    open_position(account, "AAA", 10, "100.00")
    account = account_fail(account=account, reason="Trading abuse", actor=staff)
    assert (account.status, account.failure_reason) == ("FAILED", "Trading abuse")
    assert not account.trades.filter(status="OPEN").exists()
    # 10 × (101 − 100) gross, $1 exit commission.
    assert account.current_balance == Decimal("50009.00") == ledger_total(account)
    assert account.activities.filter(kind="FAILED", actor=staff).count() == 1


def test_a_liquidated_account_shows_its_balance_as_equity(alice, staff):
    account = active_account(alice)
    put_quote("AAA", "80.00", "80.10")
    open_position(account, "AAA", 10, "100.00")
    account.update_balance()  # marked: U = −200, E = 49,800
    put_quote("AAA", "90.00", "90.10")

    account = account_fail(account=account, reason="Trading abuse", actor=staff)

    account.refresh_from_db()
    # Closed at 90: −100 gross, −1 commission; nothing open, so E = B.
    assert account.current_balance == account.equity == Decimal("49899.00")
    assert account.unrealized_pl == Decimal("0.00")


def test_final_states_do_not_move(alice):
    account = account_fail(account=active_account(alice), reason="Abuse")
    with pytest.raises(StateConflict):
        account_close(account=account, reason="tidy up")
