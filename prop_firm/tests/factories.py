"""Plans, accounts, assets, quotes and positions for prop_firm's tests.

Accounts are opened through the real services (`account_create_pending`, `account_activate`)
so their ledger, marks and audit trail are what production writes.
"""

from datetime import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from core.models import Asset
from core.quotes import Quote, quotes_store
from prop_firm.models import PlanPhase, PropFirmPlan
from prop_firm.services.lifecycle import account_activate, account_create_pending


class PlanFactory(factory.django.DjangoModelFactory):
    """The seed's $50K Challenge."""

    class Meta:
        model = PropFirmPlan

    name = "$50K Challenge"
    description = "Prove your trading skills with a $50,000 account"
    plan_type = "EVALUATION"
    starting_balance = Decimal("50000.00")
    price = Decimal("99.00")
    max_daily_loss = Decimal("2500.00")
    max_total_loss = Decimal("5000.00")
    profit_target = Decimal("5000.00")
    min_trading_days = 5
    max_position_size = Decimal("100.00")
    profit_split = Decimal("80.00")
    is_active = True


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanPhase

    plan = factory.SubFactory(PlanFactory)
    number = 2
    name = "Verification"
    profit_target = Decimal("500.00")
    min_trading_days = 1


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset
        django_get_or_create = ("symbol",)

    symbol = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.LazyAttribute(lambda a: f"{a.symbol} Inc.")
    exchange = "NASDAQ"
    asset_class = "us_equity"
    tradable = True
    shortable = True


def active_account(user, plan=None, **plan_fields):
    """A paid, ACTIVE account (B0 deposited, marks at B0)."""
    plan = plan or PlanFactory(**plan_fields)
    return account_activate(account=account_create_pending(user=user, plan=plan))


def put_quote(symbol: str, bid, ask=None, last=None, at: datetime | None = None) -> Quote:
    bid = Decimal(str(bid))
    ask = Decimal(str(ask)) if ask is not None else bid
    last = Decimal(str(last)) if last is not None else bid
    quote = Quote(symbol, bid, ask, last, at or timezone.now())
    quotes_store([quote])
    return quote


def open_position(account, symbol: str, quantity, entry_price, direction="LONG", at=None):
    """An OPEN trade written directly (no commission, no ledger entry): a position the
    account already holds."""
    from paper_trading.models import Trade

    return Trade.objects.create(
        account=account,
        asset=AssetFactory(symbol=symbol),
        direction=direction,
        status="OPEN",
        quantity=Decimal(str(quantity)),
        entry_price=Decimal(str(entry_price)),
        entry_at=at or timezone.now(),
    )


def ledger_total(account) -> Decimal:
    from django.db.models import Sum

    return account.ledger_entries.aggregate(total=Sum("amount"))["total"] or Decimal("0")
