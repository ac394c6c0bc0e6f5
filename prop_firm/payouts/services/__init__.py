"""Payout use cases: request, cancel, approve (Stripe transfer or manual), complete, reject,
and the Stripe webhook handlers of transfers.

Where each lives: `trader` (request, cancel), `review` (staff: approve,
complete, reject, notes), `transfers` (Stripe transfers and their webhooks), `marks` (the
floors around a withdrawal), `common` (kinds, locks, audit). Callers import from here.

Invariants
----------
- Money moves only through `ledger_post`, under the account's row lock
  (`select_for_update`) in `transaction.atomic()`: a request withdraws P (kind `PAYOUT`,
  B returns to B0), a cancellation or rejection credits the same P back (`PAYOUT_REVERSAL`).
  Eligibility is judged again under that lock, so concurrent requests on one account
  withdraw P at most once (the second sees P = 0 and a pending payout); the partial unique
  constraint `payout_one_open_per_account` backs this up in the database.
- Lock order: the account row, then the payout row. Status-only steps lock the payout alone.
- No network under a lock: Stripe is called between two transactions. The payout is first
  committed as PROCESSING with its attempt number, so the idempotency key
  (`payout-<id>`, `payout-<id>-<attempt>` for later attempts) makes any retry of the same
  attempt return the same transfer.
- A failed transfer leaves the payout FAILED with the provider's message and P still
  withdrawn; P comes back only when staff reject it (an explicit decision), or staff approve
  it again (a new attempt, active account only).
- A PROCESSING payout never stays stuck: approving it again settles the same attempt, whatever
  the account's status (same idempotency key on an active account; on a suspended or closed
  one only a lookup of the attempt's transfer, so nothing new is paid). It ends COMPLETED or
  FAILED, and FAILED can be rejected.
- A manual payout is marked paid only from an active account, as it is approved.
- Every step writes an `AccountActivity`; emails leave on commit.

Floors after a withdrawal keep RULES.md's meaning: the withdrawal is not a trading loss, so
the balance-based marks (SOD_B, SOD_E, EOD_HWM, PEAK_E, E) move down with B by P, and the
room to the daily-loss floor is what it was. EOD_HWM and PEAK_E never go below B0 (they start
there); what each mark actually moved is stored on the payout and restored on a credit back.
"""

from prop_firm.payouts.services.common import (
    LEDGER_PAYOUT,
    LEDGER_PAYOUT_REVERSAL,
    PAYOUT_APPROVED,
    PAYOUT_CANCELLED,
    PAYOUT_COMPLETED,
    PAYOUT_FAILED,
    PAYOUT_NOTE,
    PAYOUT_REJECTED,
    PAYOUT_REQUESTED,
    PAYOUT_REVERSED,
    idempotency_key,
)
from prop_firm.payouts.services.review import (
    payout_approve,
    payout_complete,
    payout_notes_update,
    payout_reject,
)
from prop_firm.payouts.services.trader import payout_cancel, payout_request
from prop_firm.payouts.services.transfers import (
    payout_transfer_created,
    payout_transfer_reversed,
)

__all__ = [
    "LEDGER_PAYOUT",
    "LEDGER_PAYOUT_REVERSAL",
    "PAYOUT_APPROVED",
    "PAYOUT_CANCELLED",
    "PAYOUT_COMPLETED",
    "PAYOUT_FAILED",
    "PAYOUT_NOTE",
    "PAYOUT_REJECTED",
    "PAYOUT_REQUESTED",
    "PAYOUT_REVERSED",
    "idempotency_key",
    "payout_approve",
    "payout_cancel",
    "payout_complete",
    "payout_notes_update",
    "payout_reject",
    "payout_request",
    "payout_transfer_created",
    "payout_transfer_reversed",
]
