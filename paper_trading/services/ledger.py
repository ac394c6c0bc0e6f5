"""The money ledger: the only code that changes an account's balance."""

from decimal import Decimal

from django.db import transaction

from alpacabackend.db import row_save
from alpacabackend.money import to_cents
from paper_trading.models import LedgerEntry
from paper_trading.services.journal import journal_of, unsaved_take


def ledger_post(
    *,
    account,
    kind: str,
    amount: Decimal,
    trade=None,
    reference: str = "",
    memo: str = "",
    created_by=None,
    save_account: bool = True,
) -> LedgerEntry:
    """Moves B by `amount` (rounded half-even to cents) and writes the entry that explains it.

    Invariant: balance == sum of entries. The caller holds the account row lock
    (`select_for_update`) inside `transaction.atomic()`, so concurrent postings serialise.
    `save_account=False` leaves the new balance to the caller's one UPDATE of the account
    before the transaction ends (the order path: the account's `FillJournal` names it).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "ledger_post must run inside transaction.atomic() with the account locked."
        )
    amount = to_cents(amount)
    account.current_balance = to_cents(account.current_balance + amount)
    if save_account:
        row_save(account, update_fields=["current_balance", "updated_at"])
    else:
        journal_of(account).unsaved.add("current_balance")
    entry = LedgerEntry(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=account.current_balance,
        trade=trade,
        reference=reference,
        memo=memo,
        created_by=created_by,
    )
    # Left for the account's UPDATE, the entry may go with it (`writes_batched`): its id is
    # then not known here, and no caller of the order path needs it.
    row_save(entry, batched=not save_account)
    return entry


def account_unsaved_flush(account) -> None:
    """Writes what the order path left unwritten on the account (its balance), if anything:
    balance == Σ ledger holds in the database before anything else reads it."""
    unsaved = unsaved_take(account)
    if unsaved:
        row_save(account, update_fields=[*unsaved, "updated_at"])
