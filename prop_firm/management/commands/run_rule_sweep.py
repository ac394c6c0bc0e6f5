import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from prop_firm.services import rule_engine


class Command(BaseCommand):
    help = "Marks every active account to market and applies the rules once (the beat task)."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=None)

    def handle(self, *args, chunk_size=None, **options):
        chunks = rule_engine.sweep_chunks(chunk_size=chunk_size)
        context = rule_engine.SweepContext()
        stats = rule_engine.SweepStats()
        with tqdm(
            total=len(chunks), unit="chunk", disable=not sys.stderr.isatty(), file=sys.stderr
        ) as bar:
            for first_id, last_id in chunks:
                stats.add(
                    rule_engine.sweep_chunk(first_id=first_id, last_id=last_id, context=context)
                )
                bar.update(1)
        self.stdout.write(
            f"Swept {stats.accounts} account(s): {stats.written} mark(s) written, "
            f"{stats.snapshots} equity point(s), {len(stats.flagged)} checked one by one, "
            f"{stats.stale} on stale prices."
        )
