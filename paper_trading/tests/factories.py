"""Factories: plans, ACTIVE funded accounts (the DEPOSIT posted through `ledger_post`),
assets and quotes."""

from datetime import datetime
from decimal import Decimal

import factory
from django.db import transaction
from django.utils import timezone

from core.models import Asset
from core.quotes import Quote, quotes_store
from paper_trading.models import LedgerKind
from paper_trading.services.ledger import ledger_post
from prop_firm.models import AccountStatus, PropFirmAccount, PropFirmPlan


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropFirmPlan

    name = factory.Sequence(lambda n: f"Challenge {n}")
    starting_balance = Decimal("100000.00")
    price = Decimal("499.00")
    max_daily_loss = Decimal("5000.00")
    max_total_loss = Decimal("10000.00")
    profit_target = Decimal("10000.00")


class AccountFactory(factory.django.DjangoModelFactory):
    """An ACTIVE account funded with its plan's starting balance by a real DEPOSIT entry."""

    class Meta:
        model = PropFirmAccount
        skip_postgeneration_save = True

    plan = factory.SubFactory(PlanFactory)
    account_number = factory.Sequence(lambda n: f"PT{n:08d}")
    status = AccountStatus.ACTIVE
    starting_balance = factory.LazyAttribute(lambda o: o.plan.starting_balance)
    activated_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def deposit(self, create, extracted, **kwargs):
        if not create:
            return
        with transaction.atomic():
            account = PropFirmAccount.objects.select_for_update().get(pk=self.pk)
            ledger_post(
                account=account,
                kind=LedgerKind.DEPOSIT,
                amount=self.starting_balance,
                reference=f"deposit:{self.pk}",
                memo="Starting balance",
            )
        self.refresh_from_db()


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset
        django_get_or_create = ("symbol", "asset_class")

    symbol = "AAPL"
    name = factory.LazyAttribute(lambda o: f"{o.symbol} Inc.")
    exchange = "NASDAQ"
    asset_class = "us_equity"
    tradable = True
    shortable = True
    fractionable = False


def quote(symbol: str, bid, ask, last=None, at: datetime | None = None) -> Quote:
    """Stores a quote in core's cache (what the providers do) and returns it."""
    bid, ask = Decimal(str(bid)), Decimal(str(ask))
    q = Quote(
        symbol=symbol,
        bid=bid,
        ask=ask,
        last=Decimal(str(last)) if last is not None else (bid + ask) / 2,
        timestamp=at or timezone.now(),
    )
    quotes_store([q])
    return q
