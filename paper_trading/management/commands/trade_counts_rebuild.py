"""`manage.py trade_counts_rebuild`: recount every account's listed trades (TradeCount)."""

from django.core.management.base import BaseCommand

from paper_trading.services.trade_counts import trade_counts_rebuild


class Command(BaseCommand):
    help = (
        "Recount every account's listed trades from the trades themselves. Database "
        "triggers keep the counts; run this after writing trades with triggers disabled "
        "(a restore with --disable-triggers)."
    )

    def handle(self, *args, **options):
        fixed = trade_counts_rebuild()
        self.stdout.write(
            f"{fixed} account(s) had a wrong count of listed trades; every count now matches."
        )
