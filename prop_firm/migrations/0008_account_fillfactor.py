"""Room on every page of the account table for updated rows (issue 13).

A fill or a sweep's mark rewrites an account row; with free space on its page and no indexed
column changed, PostgreSQL updates it in place (a HOT update) instead of leaving a dead
tuple and new index entries behind, so 100 consecutive sweeps cost what the first did."""

from django.db import migrations


def fillfactor(value: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = apps.get_model("prop_firm", "PropFirmAccount")._meta.db_table
        schema_editor.execute(f'ALTER TABLE "{table}" SET (fillfactor = {int(value)})')

    return apply


class Migration(migrations.Migration):
    dependencies = [("prop_firm", "0007_account_fill_totals")]

    operations = [migrations.RunPython(fillfactor(70), fillfactor(100))]
