import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from alpacabackend.api.errors import ApplicationError
from core.models import Asset
from core.services.candles import candles_fetch
from core.timeframes import ALLOWED, timeframe_parse


class Command(BaseCommand):
    help = "Fetches and stores the bars of the given symbols (missing ranges only)."

    def add_arguments(self, parser):
        parser.add_argument("symbols", nargs="+", metavar="SYMBOL")
        parser.add_argument(
            "--timeframe", default="1D", help=f"One of {', '.join(ALLOWED)} (default 1D)."
        )
        parser.add_argument("--days", type=int, default=30, help="How far back (default 30).")

    def handle(self, *args, symbols, timeframe, days, **options):
        try:
            tf = timeframe_parse(timeframe)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if days < 1:
            raise CommandError("--days must be at least 1.")
        wanted = [symbol.upper() for symbol in symbols]
        assets = {a.symbol: a for a in Asset.objects.filter(symbol__in=wanted)}
        unknown = [symbol for symbol in wanted if symbol not in assets]
        if unknown:
            raise CommandError(
                f"Unknown symbols: {', '.join(unknown)} (run manage.py sync_assets first?)."
            )
        end = timezone.now()
        start = end - timedelta(days=days)
        show = sys.stdout.isatty() and options["verbosity"] > 0
        total = 0
        # One chunk per week keeps each provider call (and each transaction) small.
        chunks = []
        cursor = start
        while cursor < end:
            chunks.append((cursor, min(cursor + timedelta(days=7), end)))
            cursor += timedelta(days=7)
        with tqdm(total=len(wanted) * len(chunks), unit="chunk", disable=not show) as bar:
            for symbol in wanted:
                bar.set_description(symbol)
                for lo, hi in chunks:
                    try:
                        total += candles_fetch(asset=assets[symbol], timeframe=tf, start=lo, end=hi)
                    except ApplicationError as exc:
                        raise CommandError(f"{symbol}: {exc.message}") from exc
                    bar.update(1)
        self.stdout.write(
            self.style.SUCCESS(f"Stored {total} new {tf.code} bars for {len(wanted)} symbols.")
        )
