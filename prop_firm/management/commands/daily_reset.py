import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from prop_firm.models import PropFirmAccount
from prop_firm.services import rule_engine


class Command(BaseCommand):
    help = "Takes the start-of-day snapshots for the current trading day (safe to run twice)."

    def handle(self, *args, **options):
        total = PropFirmAccount.objects.filter(status="ACTIVE").count()
        with tqdm(
            total=total, unit="account", disable=not sys.stderr.isatty(), file=sys.stderr
        ) as bar:
            stats = rule_engine.daily_reset(progress=bar.update)
        self.stdout.write(
            f"Trading day {stats.day}: {stats.snapshots} snapshot(s) taken, "
            f"{len(stats.checked)} account(s) checked for inactivity or time limit."
        )
