"""The sweep never overwrites an account another transaction is changing (PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from prop_firm.models import PropFirmAccount
from prop_firm.services.day_start import day_start_snapshots_take
from prop_firm.services.rule_engine import sweep
from prop_firm.tests.factories import active_account, open_position, put_quote

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL (set DATABASE_URL).")


class HeldLock:
    """Another transaction holding an account's row lock (a fill or a payout under way)."""

    def __init__(self, account_id: int):
        self.account_id = account_id
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic():
                PropFirmAccount.objects.select_for_update().get(pk=self.account_id)
                self.locked.set()
                self.release.wait(10)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(5)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


def test_the_sweep_skips_an_account_locked_by_another_transaction(alice):
    held, free = active_account(alice), active_account(alice)
    for account in (held, free):
        open_position(account, "AAA", 10, "100.00")
    put_quote("AAA", "110.00")

    with HeldLock(held.pk):
        stats = sweep()

    held.refresh_from_db()
    free.refresh_from_db()
    assert stats.accounts == 1  # the held one is left to the next sweep
    assert free.equity == Decimal("50100.00")
    assert held.equity == Decimal("50000.00")
    assert sweep().accounts == 2  # once released, it is marked as usual


def test_the_day_start_snapshot_skips_an_account_locked_by_another_transaction(alice):
    account = active_account(alice)
    PropFirmAccount.objects.filter(pk=account.pk).update(sod_day=None)

    with HeldLock(account.pk):
        taken = day_start_snapshots_take(now=account.activated_at, account_ids=[account.pk])

    assert taken == 0
    assert day_start_snapshots_take(now=account.activated_at, account_ids=[account.pk]) == 1
