"""Where the firm's rules plug into paper trading: one check before a fill, one hook after.

Paper trading calls exactly these two functions; the prop firm fills them with RULES.md's
soft rules (pre-trade) and hard rules and objectives (post-trade).
"""

from decimal import Decimal

from alpacabackend.api.errors import StateConflict


class TradeRejected(StateConflict):
    """An order the firm's rules refuse. Not a violation: nothing fails, nothing is written."""

    status_code = 400
    default_code = "TRADE_REJECTED"


def check_order(
    *, account, asset, direction: str, quantity: Decimal, price: Decimal, reduces_position: bool,
) -> None:
    """Raises TradeRejected (code ACCOUNT_NOT_TRADABLE, POSITION_SIZE, BUYING_POWER, ...) when
    the order may not be filled. `price` is the server's estimate of the fill price; the
    account row is locked by the caller."""
    if account.status != "ACTIVE":
        raise TradeRejected(
            f"Account {account.account_number} is {account.status.lower()} and cannot trade.",
            code="ACCOUNT_NOT_TRADABLE",
            status_code=409,
        )


def after_fill(*, account, trade) -> None:
    """Runs inside the fill's transaction, with the account locked, after every fill or close:
    hard rules and objectives are evaluated at once (a breach is handled before the response)."""
