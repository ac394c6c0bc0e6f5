"""The populated firm the SPA contract test reads: every list the web app shows has rows.

alice trades: three funded accounts carrying a payout each (PENDING, approved by staff,
FAILED), a main funded account whose payouts were cancelled, rejected and completed and
which then traded (closed and open trades, a pending order), an evaluation account opened
last (the account the SPA shows: the newest ACTIVE one) with its own trades, and an account
failed on a rule breach (a violation, a losing trade, a staff note). A watchlist with assets.
bob: another trader with an account and a watchlist. staff.

Everything goes through the services production uses (accounts opened and funded through
the ledger, orders placed and closed by paper trading, payouts requested, approved,
completed, cancelled, rejected), except the FAILED payout: its Stripe transfer failing is
written directly (the transfer and its webhook have their own tests; stubbing Stripe here
would only slow the world down).

`FRESH` makers build the objects of one mutation row, inside that row's own test.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from account.models import User
from core.services.watchlists import watchlist_add_asset, watchlist_create, watchlist_update
from paper_trading.models import OrderType
from paper_trading.services.trades import order_place, trade_close
from prop_firm.admin_api.services import account_note_add
from prop_firm.models import RuleViolation
from prop_firm.payouts import services as payouts
from prop_firm.payouts.models import Payout, PayoutStatus
from prop_firm.payouts.testing import closed_trade, funded_account, plan_create
from prop_firm.services.lifecycle import account_create_pending, account_fail
from prop_firm.tests.factories import AssetFactory, PlanFactory, active_account, put_quote

PASSWORD = "Str0ng-Passw0rd!"  # the personas' password (conftest.py)
BANK = {"iban": "DE89370400440532013000"}

# The simulated market, open around the clock, and fills a hand can check.
MARKET_SETTINGS = {
    "MARKET_DATA_PROVIDER": "simulated",
    "SIMULATED_MARKET_HOURS": "always",
    "MARKET_DATA_MAX_QUOTE_AGE": 60,
    "PAPER_SLIPPAGE_BPS": Decimal("0"),
    "PAPER_COMMISSION_PER_SHARE": Decimal("0.005"),
    "PAPER_COMMISSION_MIN": Decimal("1"),
}

_serial = count(1)


def put_quotes() -> None:
    """AAPL and MSFT quotes in core's cache (what the providers store)."""
    put_quote("AAPL", "190.20", "190.30")
    put_quote("MSFT", "410.00", "410.10")


def _profitable_funded(user, plan):
    """A funded account 20 days old with 1,000.00 of closed profit: a payout is due."""
    start = timezone.now() - timedelta(days=20)
    account = funded_account(user, plan, at=start)
    closed_trade(account, "1000.00", at=start + timedelta(hours=1))
    return account


def _request(user, account) -> Payout:
    return payouts.payout_request(
        account=account, user=user, payment_method="bank_transfer", payment_details=BANK
    )


def _trade_on(account, user, aapl, msft) -> dict:
    """A closed MSFT trade, an open AAPL position and a resting AAPL buy limit."""
    closed = order_place(
        account=account, asset=msft, direction="LONG", quantity=Decimal("2"), user=user
    ).trade
    trade_close(trade=closed, user=user)
    opened = order_place(
        account=account,
        asset=aapl,
        direction="LONG",
        quantity=Decimal("5"),
        stop_loss=Decimal("150.00"),
        take_profit=Decimal("250.00"),
        notes="breakout",
        user=user,
    ).trade
    pending = order_place(
        account=account,
        asset=aapl,
        direction="LONG",
        quantity=Decimal("3"),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("120.00"),
        user=user,
    ).trade
    return {"closed": closed.pk, "open": opened.pk, "pending": pending.pk}


class World:
    """Builds the firm; `ids` fills the contract table's `{placeholders}`."""

    def __init__(self) -> None:
        self.alice = User.objects.create_user(
            email="alice@example.com", name="Alice Trader", password=PASSWORD
        )
        self.bob = User.objects.create_user(
            email="bob@example.com", name="Bob Trader", password=PASSWORD
        )
        self.staff = User.objects.create_user(
            email="staff@example.com", name="Staff Member", password=PASSWORD, is_staff=True
        )
        self.aapl = AssetFactory(symbol="AAPL", name="Apple Inc.", fractionable=True)
        self.msft = AssetFactory(symbol="MSFT", name="Microsoft Corporation")
        self.btc = AssetFactory(
            symbol="BTC/USD", name="Bitcoin", exchange="CRYPTO", asset_class="crypto"
        )
        put_quotes()
        self.funded_plan = plan_create()
        self.evaluation_plan = PlanFactory(max_position_size=Decimal("50.00"))

        self._payouts()
        self.main = _profitable_funded(self.alice, self.funded_plan)
        self._payout_history(self.main)
        self.main_trades = _trade_on(self.main, self.alice, self.aapl, self.msft)
        self.breached = self._breached()
        self.evaluation = active_account(self.alice, plan=self.evaluation_plan)
        self.evaluation_trades = _trade_on(self.evaluation, self.alice, self.aapl, self.msft)
        self.bob_account = active_account(self.bob, plan=self.evaluation_plan)
        order_place(account=self.bob_account, asset=self.msft, direction="SHORT",
                    quantity=Decimal("1"), user=self.bob)  # fmt: skip

        self.watchlist = watchlist_create(user=self.alice, name="Tech", description="Big tech")
        watchlist_add_asset(watchlist=self.watchlist, asset=self.aapl)
        watchlist_add_asset(watchlist=self.watchlist, asset=self.msft)
        bob_list = watchlist_create(user=self.bob, name="Crypto")
        watchlist_add_asset(watchlist=bob_list, asset=self.btc)
        # The firm's shared list, which every trader reads with ?global=true.
        shared = watchlist_create(user=self.staff, name="Firm picks")
        watchlist_update(watchlist=shared, is_global=True)
        watchlist_add_asset(watchlist=shared, asset=self.aapl)

    def _payouts(self) -> None:
        """PENDING, approved by staff (manual: money sent by hand), and FAILED."""
        _request(self.alice, _profitable_funded(self.alice, self.funded_plan))
        approved = _request(self.alice, _profitable_funded(self.alice, self.funded_plan))
        payouts.payout_approve(payout=approved, actor=self.staff)
        failed = _request(self.alice, _profitable_funded(self.alice, self.funded_plan))
        Payout.objects.filter(pk=failed.pk).update(
            status=PayoutStatus.FAILED,
            transfer_attempt=1,
            failure_code="insufficient_funds",
            payment_method="stripe",
        )

    def _payout_history(self, account) -> None:
        """CANCELLED by alice, REJECTED by staff, then COMPLETED: each one credited back
        or paid, so the next could be requested."""
        payouts.payout_cancel(payout=_request(self.alice, account), user=self.alice)
        payouts.payout_reject(
            payout=_request(self.alice, account), reason="Consistency rule.", actor=self.staff
        )
        paid = _request(self.alice, account)
        paid = payouts.payout_approve(payout=paid, actor=self.staff)
        payouts.payout_complete(payout=paid, reference="WIRE-0001", actor=self.staff)

    def _breached(self):
        """A funded account failed on its maximum loss, with a staff note."""
        account = funded_account(self.alice, self.funded_plan)
        closed_trade(account, "-10500.00", symbol="MSFT")
        RuleViolation.objects.create(
            account=account,
            violation_type="TOTAL_LOSS",
            description="Equity fell below the maximum-loss floor.",
            threshold_value=Decimal("90000.00"),
            actual_value=Decimal("89500.00"),
            occurred_at=timezone.now(),
        )
        account_fail(account=account, reason="Maximum loss breached.", actor=self.staff)
        account_note_add(account=account, note="Trader informed by email.", actor=self.staff)
        return account

    @property
    def ids(self) -> dict:
        return {
            "asset": self.aapl.pk,
            "watchlist": self.watchlist.pk,
            "breached_account": self.breached.pk,
            "plan": self.evaluation_plan.pk,
            "bob": self.bob.pk,
            "password": PASSWORD,
            "google_id_token": "a-google-id-token",
        }


# --------------------------------------------------------------------------------------
# Fresh objects for one mutation row
# --------------------------------------------------------------------------------------


def _fresh_watchlist(world: World) -> dict:
    watchlist = watchlist_create(user=world.alice, name=f"Fresh {next(_serial)}")
    return {"fresh_watchlist": watchlist.pk}


def _fresh_open_trade(world: World) -> dict:
    put_quotes()
    trade = order_place(
        account=world.evaluation, asset=world.aapl, direction="LONG", quantity=Decimal("1"),
        user=world.alice,
    ).trade  # fmt: skip
    return {"fresh_trade": trade.pk}


def _fresh_pending_order(world: World) -> dict:
    put_quotes()
    trade = order_place(
        account=world.evaluation, asset=world.aapl, direction="LONG", quantity=Decimal("1"),
        order_type=OrderType.LIMIT, limit_price=Decimal("100.00"), user=world.alice,
    ).trade  # fmt: skip
    return {"fresh_trade": trade.pk}


def _fresh_closed_trade(world: World) -> dict:
    ids = _fresh_open_trade(world)
    from paper_trading.models import Trade

    trade_close(trade=Trade.objects.get(pk=ids["fresh_trade"]), user=world.alice)
    return ids


def _fresh_user(world: World) -> dict:
    user = User.objects.create_user(
        email=f"dave{next(_serial)}@example.com", name="Dave Dormant", password=PASSWORD
    )
    return {"fresh_user": user.pk}


def _fresh_pending_account(world: World) -> dict:
    account = account_create_pending(user=world.bob, plan=world.evaluation_plan)
    return {"fresh_account": account.pk}


def _fresh_active_account(world: World) -> dict:
    account = active_account(world.bob, plan=world.evaluation_plan)
    return {"fresh_account": account.pk}


def _fresh_plan(world: World) -> dict:
    plan = PlanFactory(name=f"Fresh plan {next(_serial)}")
    return {"fresh_plan": plan.pk}


def _fresh_pending_payout(world: World) -> dict:
    account = _profitable_funded(world.bob, world.funded_plan)
    return {"fresh_payout": _request(world.bob, account).pk}


def _fresh_approved_payout(world: World) -> dict:
    """What the SPA's Complete button acts on: a manual payout staff approved."""
    ids = _fresh_pending_payout(world)
    payouts.payout_approve(payout=Payout.objects.get(pk=ids["fresh_payout"]), actor=world.staff)
    return ids


FRESH = {
    "watchlist": _fresh_watchlist,
    "open_trade": _fresh_open_trade,
    "pending_order": _fresh_pending_order,
    "closed_trade": _fresh_closed_trade,
    "user": _fresh_user,
    "pending_account": _fresh_pending_account,
    "active_account": _fresh_active_account,
    "plan": _fresh_plan,
    "pending_payout": _fresh_pending_payout,
    "approved_payout": _fresh_approved_payout,
}
