import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from alpacabackend.api.errors import ApplicationError
from core.providers import get_provider
from core.services.assets import assets_sync


class Command(BaseCommand):
    help = "Mirrors the market data provider's asset list into the Asset table."

    def handle(self, *args, **options):
        provider = get_provider()
        self.stdout.write(f"Syncing assets from the {provider.name} provider...")
        show = sys.stdout.isatty() and options["verbosity"] > 0

        def progress(items):
            return tqdm(items, desc="assets", unit="asset", disable=not show)

        try:
            result = assets_sync(provider=provider, progress=progress)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.total} assets listed: {result.created} created, "
                f"{result.updated} updated, {result.deactivated} deactivated."
            )
        )
