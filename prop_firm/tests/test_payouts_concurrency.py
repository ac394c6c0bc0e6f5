"""Two requests at once never withdraw more than P (RULES.md "Payouts"): 20 threads, one
payout, and the ledger still sums to the balance."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, connections

from alpacabackend.api.errors import ApplicationError
from prop_firm.payouts import services
from prop_firm.payouts.models import Payout
from prop_firm.payouts.testing import closed_trade, funded_account, ledger_total

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
THREADS = 20

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")


def _race(action) -> tuple[list, list]:
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(action())
        except ApplicationError as exc:
            errors.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_twenty_concurrent_requests_make_one_payout(alice):
    account = funded_account(alice, at=T0)
    closed_trade(account, "1000.00", at=T0 + timedelta(hours=1))

    with time_machine.travel(T0 + timedelta(days=15), tick=True):
        results, errors = _race(
            lambda: services.payout_request(
                account=account,
                user=alice,
                payment_method="bank_transfer",
                payment_details={"iban": "DE89370400440532013000"},
            )
        )

    assert len(results) == 1
    assert errors == ["PAYOUT_NOT_ELIGIBLE"] * (THREADS - 1)
    assert Payout.objects.count() == 1
    account.refresh_from_db()
    assert account.current_balance == Decimal("100000.00")
    assert ledger_total(account) == account.current_balance
    assert account.ledger_entries.filter(kind="PAYOUT").count() == 1


def test_concurrent_cancel_and_reject_credit_p_back_once(alice, staff):
    account = funded_account(alice, at=T0)
    closed_trade(account, "1000.00", at=T0 + timedelta(hours=1))
    with time_machine.travel(T0 + timedelta(days=15), tick=True):
        payout = services.payout_request(
            account=account,
            user=alice,
            payment_method="bank_transfer",
            payment_details={"iban": "DE89370400440532013000"},
        )
        calls = iter(range(THREADS))

        def cancel_or_reject():
            if next(calls) % 2:
                return services.payout_cancel(payout=payout, user=alice)
            return services.payout_reject(payout=payout, reason="Duplicate.", actor=staff)

        results, errors = _race(cancel_or_reject)

    assert len(results) == 1
    assert errors == ["PAYOUT_INVALID_STATUS"] * (THREADS - 1)
    account.refresh_from_db()
    assert account.current_balance == Decimal("101000.00")
    assert ledger_total(account) == account.current_balance
    assert account.ledger_entries.filter(kind="PAYOUT_REVERSAL").count() == 1
