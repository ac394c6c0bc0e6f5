"""manage.py check_ledger: balance == Σ entries for every account, in one query."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from paper_trading.models import LedgerEntry
from paper_trading.services.trades import trade_close, trade_place
from paper_trading.tests.factories import AccountFactory, quote
from prop_firm.models import PropFirmAccount


def test_a_clean_ledger_passes(account, aapl, capsys):
    quote("AAPL", "99.98", "100.00")
    trade = trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("3"))
    quote("AAPL", "101.37", "101.41")
    trade_close(trade=trade)
    call_command("check_ledger")
    assert "Ledger OK" in capsys.readouterr().out


def test_an_account_whose_balance_drifted_is_reported(alice, account, capsys, ledger_drift_expected,
                                                      django_assert_num_queries):  # fmt: skip
    AccountFactory(user=alice)
    PropFirmAccount.objects.filter(pk=account.pk).update(current_balance=Decimal("123.45"))
    with django_assert_num_queries(1), pytest.raises(CommandError) as failure:
        call_command("check_ledger")
    assert failure.value.returncode == 1
    out = capsys.readouterr().out
    assert f"account {account.account_number}" in out
    assert "balance 123.45 != ledger 100000.00" in out


def test_ledger_entries_are_append_only(account):
    entry = LedgerEntry.objects.get(account=account)
    entry.amount = Decimal("1")
    with pytest.raises(Exception, match="append-only"):
        entry.save()
    with pytest.raises(Exception, match="append-only"):
        entry.delete()
