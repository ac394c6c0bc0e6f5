"""What the order path did to a locked account instance and has not written yet.

A fill changes the account in memory (its balance) and notes itself here; the firm's
`after_fill` books the noted fills into the account's running totals and writes every
changed field in one UPDATE, in the fill's transaction (issue 13: one UPDATE of the account
per order). The journal lives on the instance the lock was taken with, so it ends with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

_ATTRIBUTE = "_fill_journal"


@dataclass(frozen=True, slots=True)
class NotedFill:
    """One fill: when, a close's realised P&L (None for an entry), and the open trade it
    changed: added to by an entry, taken off by a close, by `quantity`."""

    at: datetime
    realized: Decimal | None
    trade_id: int
    symbol: str
    direction: str
    quantity: Decimal
    entry_price: Decimal | None


@dataclass(slots=True)
class FillJournal:
    """`fills`: noted and not yet booked; `unsaved`: the account's fields changed in memory
    and not yet written; `firm_memo`: what the firm remembered during this order (its view
    of the positions), which is dropped with any fill that is undone; `live`: the account's
    open trades and pending orders as the order read them (`account_live_trades`), good
    until the next fill is noted."""

    fills: list[NotedFill] = field(default_factory=list)
    unsaved: set[str] = field(default_factory=set)
    firm_memo: Any = None
    live: tuple[list, int] | None = None  # the live trades an order read, at len(fills)


def journal_of(account) -> FillJournal:
    """The journal of this locked account instance (a new one on its first fill)."""
    journal = getattr(account, _ATTRIBUTE, None)
    if journal is None:
        journal = FillJournal()
        setattr(account, _ATTRIBUTE, journal)
    return journal


def fills_take(account) -> list[NotedFill]:
    """The fills noted since the last booking, handed to the one who books them; the firm's
    memo goes with them (it counted against them)."""
    journal = journal_of(account)
    fills, journal.fills = journal.fills, []
    journal.firm_memo = journal.live = None
    return fills


def fills_mark(account) -> int:
    """Where the journal stands, before a savepoint that may be undone."""
    return len(journal_of(account).fills)


def fills_undo(account, mark: int) -> None:
    """After a savepoint was rolled back: the fills it noted never happened. They leave the
    journal (or the firm would book closes that were undone), and the firm's memo of the
    positions is dropped, to be read again."""
    journal = journal_of(account)
    del journal.fills[mark:]
    journal.firm_memo = journal.live = None


def unsaved_take(account) -> list[str]:
    """The account's fields changed in memory and not written, handed to the caller who
    writes them now with its own; afterwards nothing is pending."""
    journal = journal_of(account)
    unsaved, journal.unsaved = journal.unsaved, set()
    return sorted(unsaved)
