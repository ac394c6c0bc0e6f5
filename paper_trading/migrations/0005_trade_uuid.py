"""A UUID beside the integer key: the order id of the Alpaca-compatible API.

Three steps, so every existing row gets its own UUID (a default on AddField would give all
of them the same one and break the unique index): add nullable, backfill, make unique.
"""

import uuid

from django.db import migrations, models


def backfill(apps, schema_editor):
    Trade = apps.get_model("paper_trading", "Trade")
    batch = []
    for trade in Trade.objects.filter(uuid__isnull=True).only("pk").iterator(chunk_size=2000):
        trade.uuid = uuid.uuid4()
        batch.append(trade)
        if len(batch) >= 2000:
            Trade.objects.bulk_update(batch, ["uuid"])
            batch = []
    if batch:
        Trade.objects.bulk_update(batch, ["uuid"])


class Migration(migrations.Migration):
    dependencies = [("paper_trading", "0004_trade_hidden_at")]

    operations = [
        migrations.AddField(
            model_name="trade",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="trade",
            name="uuid",
            field=models.UUIDField(
                default=uuid.uuid4,
                unique=True,
                editable=False,
                help_text="The order's id in the Alpaca-compatible API (Alpaca's ids are UUIDs).",
            ),
        ),
    ]
