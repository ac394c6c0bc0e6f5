"""Where the firm's rules plug into paper trading: one check before a fill, one hook after.

Paper trading calls exactly these two functions; the prop firm fills them with RULES.md's
soft rules (pre-trade) and hard rules and objectives (post-trade).
"""

from decimal import Decimal

from django.utils import timezone

from core.quotes import quotes_get
from paper_trading.firm import TradeRejected  # defined by the engine, raised by the firm
from prop_firm import rules
from prop_firm.services import rule_engine
from prop_firm.services.day_start import day_start_marks_ensure
from prop_firm.services.stages import account_rules


def check_order(
    *,
    account,
    asset,
    direction: str,
    quantity: Decimal,
    price: Decimal,
    reduces_position: bool,
    pending_trade_id: int | None = None,
) -> None:
    """Raises TradeRejected (code ACCOUNT_NOT_TRADABLE, ASSET_NOT_TRADABLE, SHORT_NOT_ALLOWED,
    POSITION_SIZE, BUYING_POWER) when the order may not be filled (RULES.md 5 to 8).
    `price` is the server's estimate of the fill price; the account row is locked by the
    caller. An order that reduces a position lowers the risk: only the status is checked.
    `pending_trade_id` names the resting order being filled, which is not counted again as
    pending notional."""
    if account.status != "ACTIVE":
        raise TradeRejected(
            f"Account {account.account_number} is {account.status.lower()} and cannot trade.",
            code="ACCOUNT_NOT_TRADABLE",
            status_code=409,
        )
    if not reduces_position:
        if not asset.is_tradable:
            raise TradeRejected(
                f"{asset.symbol} is not tradable at the moment.", code="ASSET_NOT_TRADABLE"
            )
        if direction == rules.SHORT and not asset.shortable:
            raise TradeRejected(f"{asset.symbol} cannot be sold short.", code="SHORT_NOT_ALLOWED")
    # From the reset instant on the order is judged against the new day's floors, whether
    # or not the reset task has run yet.
    day_start_marks_ensure(account=account, now=timezone.now())
    snapshot = rule_engine.account_snapshot_live(account=account, exclude_trade_id=pending_trade_id)
    rule_engine.positions_remember(account, snapshot)
    quotes = quotes_get(sorted(snapshot.symbols | {asset.symbol}))
    rejection = rules.check_order(
        account_rules(account),
        snapshot.state,
        rule_engine.rule_quotes(quotes),
        rules.Order(
            symbol=asset.symbol,
            direction=direction,
            quantity=quantity,
            price=price,
            reduces_position=reduces_position,
        ),
    )
    if rejection is not None:
        raise TradeRejected(
            rejection.message,
            code=rejection.code,
            status_code=409 if rejection.code == rules.ACCOUNT_NOT_TRADABLE else 400,
        )


def after_fill(*, account, trade) -> bool:
    """Runs inside the fill's transaction, with the account locked, after every fill or close:
    the fills paper trading noted are booked into the account's running totals, marks are
    updated (one UPDATE of the account), hard rules and objectives evaluated at once (a
    breach is liquidated and a passed stage continued before the response).

    True when the account's trades were liquidated: a breach (FAILED) and a passed stage
    (PASSED) are the only ways this step closes trades or cancels orders, and both end the
    account's ACTIVE status, which every fill requires."""
    rule_engine.account_check_locked(account=account, now=timezone.now(), after_fill=True)
    return account.status != "ACTIVE"
