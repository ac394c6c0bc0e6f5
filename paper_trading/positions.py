"""An open position as the engine hands it to whoever values it (the firm's rule engine).

Pure data, no Django: the firm's pure rule engine (`prop_firm.rules`) imports it, and the
engine's selectors build it, so it lives on the engine's side of the door.
"""

from dataclasses import dataclass
from decimal import Decimal

LONG = "LONG"
SHORT = "SHORT"
DIRECTIONS = (LONG, SHORT)


def _require_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal (got {type(value).__name__})")


@dataclass(frozen=True, slots=True)
class PositionState:
    """An open position: `quantity` > 0, `entry_price` the average entry price.

    Commissions are not part of it: they are ledger entries, already in the balance B.
    """

    symbol: str
    direction: str
    quantity: Decimal
    entry_price: Decimal

    def __post_init__(self) -> None:
        _require_number("quantity", self.quantity)
        _require_number("entry_price", self.entry_price)
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be LONG or SHORT (got {self.direction!r})")
        if self.quantity <= 0:
            raise ValueError("quantity must be positive")
