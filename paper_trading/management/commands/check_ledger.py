"""`manage.py check_ledger`: every account's balance equals the sum of its ledger entries."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce, Round

from alpacabackend.money import to_cents
from paper_trading.firm import account_model


def accounts_out_of_balance():
    """One aggregate query: the accounts whose B differs from Σ entries (rounded to cents,
    which is exact on PostgreSQL's NUMERIC and absorbs SQLite's float sums)."""
    money = DecimalField(max_digits=16, decimal_places=2)
    ledger_total = Round(
        Coalesce(Sum("ledger_entries__amount"), Value(Decimal("0")), output_field=money),
        2,
        output_field=money,
    )
    return (
        account_model()
        .objects.annotate(ledger_total=ledger_total)
        .exclude(current_balance=F("ledger_total"))
        .order_by("id")
        .values_list("id", "account_number", "current_balance", "ledger_total")
    )


class Command(BaseCommand):
    help = "Verifies for every account that balance == sum of its ledger entries."

    def handle(self, *args, **options):
        differing = list(accounts_out_of_balance())
        for account_id, number, balance, total in differing:
            # SQLite hands the rounded sum back as a float or an int.
            total = to_cents(str(total))
            self.stdout.write(
                f"account {number} (id {account_id}): balance {balance} != ledger {total}"
            )
        if differing:
            raise CommandError(f"{len(differing)} account(s) differ from their ledger.")
        self.stdout.write(self.style.SUCCESS("Ledger OK: every balance equals its entries."))
