"""The RULES.md marks around a withdrawal: a payout moves the balance-based marks down by P,
and a credit back restores exactly what moved (stored on the payout)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.utils import timezone

from alpacabackend.money import to_cents
from prop_firm import rules
from prop_firm.models import PropFirmAccount
from prop_firm.payouts.models import Payout
from prop_firm.payouts.services.common import LEDGER_PAYOUT_REVERSAL
from prop_firm.services.stages import floor_rules

# The balance-based marks a withdrawal moves down with B.
_SHIFTED_MARKS = ("sod_balance", "sod_equity", "eod_hwm", "peak_equity", "equity")


def _day_start_ensure(account: PropFirmAccount) -> None:
    """The new day's marks before a withdrawal or a credit-back moves them: moved after the
    reset instant, they must be the new day's, whether the reset task has run or not, or a
    late reset would anchor EOD_HWM on the credited balance (issue 12 item 11)."""
    from prop_firm.services.day_start import day_start_marks_ensure

    day_start_marks_ensure(account=account, now=timezone.now())


def _marks_withdraw(account: PropFirmAccount, amount: Decimal) -> dict[str, str]:
    """Moves the balance-based marks of a locked, flat account down by the withdrawn P;
    returns what each mark actually moved (kept on the payout for a credit back)."""
    b0 = account.starting_balance
    # Flat account: E = B. PEAK_E may not have been raised to it yet by a sweep.
    peak = max(account.peak_equity, account.current_balance + amount)
    moved = {
        "sod_balance": amount,
        "sod_equity": amount,
        "eod_hwm": account.eod_hwm - max(b0, account.eod_hwm - amount),
        "peak_equity": peak - max(b0, peak - amount),
        "equity": amount,
    }
    account.peak_equity = peak
    for name, delta in moved.items():
        setattr(account, name, to_cents(getattr(account, name) - delta))
    _floor_store(account)
    account.save(update_fields=[*_SHIFTED_MARKS, "max_loss_floor", "updated_at"])
    return {name: str(to_cents(delta)) for name, delta in moved.items()}


def _marks_credit(account: PropFirmAccount, moved: Mapping[str, str], amount: Decimal) -> None:
    """The inverse of `_marks_withdraw` for a locked account (P credited back)."""
    for name in _SHIFTED_MARKS:
        delta = Decimal(moved[name]) if name in moved else amount
        setattr(account, name, to_cents(getattr(account, name) + delta))
    _floor_store(account)
    account.save(update_fields=[*_SHIFTED_MARKS, "max_loss_floor", "updated_at"])


def _floor_store(account: PropFirmAccount) -> None:
    account.max_loss_floor = to_cents(
        rules.max_loss_floor(
            floor_rules(account), eod_hwm=account.eod_hwm, peak_equity=account.peak_equity
        )
    )


def _credit_back(*, account: PropFirmAccount, payout: Payout, actor, memo: str) -> None:
    """Posts P back to a locked account (the caller holds account and payout locks)."""
    from paper_trading.services.ledger import ledger_post

    _day_start_ensure(account)
    ledger_post(
        account=account,
        kind=LEDGER_PAYOUT_REVERSAL,
        amount=payout.amount,
        reference=f"payout:{payout.pk}",
        memo=memo,
        created_by=actor,
    )
    _marks_credit(account, payout.marks_withdrawn or {}, payout.amount)
    payout.credited_back_at = timezone.now()
