"""Test helpers for payouts: a FUNDED, ACTIVE account created directly (DEPOSIT posted with
`ledger_post` under the account lock) and closed trades that move its balance through the
ledger, the way paper trading does."""

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.models import Asset
from paper_trading.models import Trade
from paper_trading.services.ledger import ledger_post
from prop_firm.models import AccountStage, AccountStatus, PropFirmAccount, PropFirmPlan
from prop_firm.services.trading_day import day_key

_numbers = count(1)


def plan_create(**fields) -> PropFirmPlan:
    values = {
        "name": "$100K Funded",
        "plan_type": "INSTANT",
        "starting_balance": Decimal("100000.00"),
        "price": Decimal("499.00"),
        "max_daily_loss": Decimal("5000.00"),
        "max_total_loss": Decimal("10000.00"),
        "profit_target": Decimal("10000.00"),
        "profit_split": Decimal("80.00"),
        "payout_frequency_days": 14,
        "min_payout_amount": Decimal("50.00"),
    }
    values.update(fields)
    return PropFirmPlan.objects.create(**values)


def funded_account(user, plan: PropFirmPlan | None = None, *, at: datetime | None = None, **fields):
    """An ACTIVE account in the FUNDED stage with B = B0 deposited and every mark at B0."""
    plan = plan or plan_create()
    at = at or timezone.now()
    b0 = plan.starting_balance
    values = {
        "user": user,
        "plan": plan,
        "account_number": f"PF{next(_numbers):08d}",
        "status": AccountStatus.ACTIVE,
        "stage": AccountStage.FUNDED,
        "phase": 1,
        "starting_balance": b0,
        "equity": b0,
        "sod_balance": b0,
        "sod_equity": b0,
        "eod_hwm": b0,
        "peak_equity": b0,
        "max_loss_floor": b0 - plan.max_total_loss,
        "activated_at": at,
        "stage_started_at": at,
        "payment_completed_at": at,
        # The marks above are today's (the deposit is posted now), as activation leaves them.
        "sod_day": day_key(timezone.now()),
    }
    values.update(fields)
    account = PropFirmAccount.objects.create(**values)
    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update().get(pk=account.pk)
        ledger_post(account=locked, kind="DEPOSIT", amount=b0, reference=f"deposit:{account.pk}")
    account.refresh_from_db()
    return account


def closed_trade(account, pnl, *, at: datetime | None = None, symbol: str = "AAPL") -> Trade:
    """A trade opened and closed at `at` whose realised P&L `pnl` is posted to the ledger."""
    at = at or timezone.now()
    pnl = Decimal(str(pnl))
    asset, _ = Asset.objects.get_or_create(
        symbol=symbol, asset_class="us_equity", defaults={"name": symbol, "tradable": True}
    )
    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update().get(pk=account.pk)
        trade = Trade.objects.create(
            account=locked,
            asset=asset,
            direction="LONG",
            status="CLOSED",
            quantity=Decimal("10"),
            entry_price=Decimal("100"),
            entry_at=at - timedelta(minutes=5),
            exit_price=Decimal("100") + pnl / 10,
            exit_at=at,
            realized_pl=pnl,
        )
        ledger_post(account=locked, kind="REALIZED_PNL", amount=pnl, trade=trade)
        if locked.first_fill_at is None:
            locked.first_fill_at = trade.entry_at
        locked.last_fill_at = at
        locked.equity = locked.current_balance
        locked.save(update_fields=["first_fill_at", "last_fill_at", "equity", "updated_at"])
    account.refresh_from_db()
    return trade


def ledger_total(account) -> Decimal:
    return account.ledger_entries.aggregate(total=Sum("amount"))["total"] or Decimal("0")


def forced_client(user):
    """An API client authenticated as `user` that survives the clock moving days ahead (a
    real access token expires within minutes; token authentication has its own tests)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def connected_account(user, account_id: str = "acct_1Test", *, payouts_enabled: bool = True):
    """The trader onboarded with Stripe Connect: their Express account is the payout
    destination, with Stripe's payouts enabled (or not yet)."""
    from prop_firm.payouts.models import ConnectedAccount

    user.stripe_account_id = account_id
    user.save(update_fields=["stripe_account_id"])
    return ConnectedAccount.objects.create(
        user=user,
        gateway="stripe",
        stripe_account_id=account_id,
        payouts_enabled=payouts_enabled,
        charges_enabled=payouts_enabled,
        details_submitted=True,
        requirements_currently_due=[] if payouts_enabled else ["external_account"],
    )
