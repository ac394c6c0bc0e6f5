from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("paper_trading", "0006_trade_list_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="trade",
            index=models.Index(
                models.F("account"),
                models.Case(
                    models.When(status__in=("OPEN", "PENDING"), then=0),
                    default=1,
                    output_field=models.IntegerField(),
                ),
                models.OrderBy(models.F("created_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("hidden_at__isnull", True)),
                name="trade_account_live_first",
            ),
        ),
        migrations.AddIndex(
            model_name="trade",
            index=models.Index(
                condition=models.Q(("hidden_at__isnull", True)),
                fields=["account", "status"],
                name="trade_account_shown",
            ),
        ),
    ]
