"""The trading engine's door to the firm that runs it.

Paper trading is the lower layer (STYLE.md "Dependencies point one way"): it never imports the
prop firm. Where it must ask the firm, it asks through this module:

- `check_order(...)` before every opening fill and when a pending order is placed: may this
  order go? The firm raises `TradeRejected` when it may not;
- `after_fill(account=..., trade=...)` inside the fill's transaction, with the account locked,
  after every fill or close: what changed (marks, breaches, objectives)? It answers whether
  the firm changed the account's trades itself (a liquidation);

The firm registers its implementation once, at startup (`PropFirmConfig.ready`), the way
Django's auth backends are plugged in. The engine's account is the firm's model, named by
the `PAPER_TRADING_ACCOUNT_MODEL` setting (like `AUTH_USER_MODEL`) and looked up through the
app registry, so no import crosses the layers upwards.
"""

from decimal import Decimal
from typing import Protocol

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from alpacabackend.api.errors import StateConflict
from paper_trading.services.ledger import account_unsaved_flush


class TradeRejected(StateConflict):
    """An order the firm's rules refuse. Not a violation: nothing fails, nothing is written."""

    status_code = 400
    default_code = "TRADE_REJECTED"


class FirmRules(Protocol):
    """What the firm plugs into the engine (`prop_firm.services.trading_rules`)."""

    def check_order(
        self,
        *,
        account,
        asset,
        direction: str,
        quantity: Decimal,
        price: Decimal,
        reduces_position: bool,
        pending_trade_id: int | None = None,
    ) -> None:
        """Raise `TradeRejected` when the order may not be filled; the caller holds the
        account's row lock. `price` is the server's estimate of the fill price."""

    def after_fill(self, *, account, trade) -> bool:
        """Runs in the fill's transaction, with the account locked, after a fill or close.
        Returns True when it changed the account's trades itself (it liquidated them): the
        engine then re-reads the trades it answers with, and only then."""


_firm_rules: FirmRules | None = None


def firm_rules_register(rules: FirmRules) -> None:
    """The firm's startup hook: from now on every order asks `rules`. Registering again
    replaces the implementation (one firm runs an engine)."""
    global _firm_rules
    _firm_rules = rules


def firm_rules() -> FirmRules:
    """The registered implementation. An engine without a firm's rules must not fill orders
    (money would move unchecked), so a missing registration is a configuration error."""
    if _firm_rules is None:
        raise ImproperlyConfigured(
            "No firm rules are registered with paper trading: the firm's AppConfig.ready() "
            "must call paper_trading.firm.firm_rules_register()."
        )
    return _firm_rules


# The engine calls these; keyword arguments pass through unchanged, so the contract is the
# one written on `FirmRules` and lives in one place.
def check_order(**order) -> None:
    firm_rules().check_order(**order)


def after_fill(**fill) -> bool:
    """The firm's post-fill step, then whatever the order path left unwritten on the account
    (its balance): the firm writes it with its own marks in one UPDATE, and if it did not,
    the engine does, so balance == Σ ledger never depends on which firm is registered.
    True when the firm changed the account's trades (see `FirmRules.after_fill`)."""
    acted = firm_rules().after_fill(**fill)
    account_unsaved_flush(fill["account"])
    return bool(acted)


def account_model() -> type[models.Model]:
    """The firm's account model (`settings.PAPER_TRADING_ACCOUNT_MODEL`), whose rows hold the
    balance the ledger sums to and own trades and ledger entries."""
    return apps.get_model(settings.PAPER_TRADING_ACCOUNT_MODEL)
