"""Demo data for the embedded defaults: an admin user (credentials printed) and the plans."""

import os

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand

from account.models import User

DEMO_ADMIN_EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = "Create the demo admin user and load the seed's plans (safe to run again)."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_ADMIN_PASSWORD", "admin-demo-password")
        admin, created = User.objects.get_or_create(
            email=DEMO_ADMIN_EMAIL,
            defaults={
                "name": "Demo Admin",
                "is_staff": True,
                "is_superuser": True,
                "is_verified": True,
            },
        )
        if created:
            admin.set_password(password)
            admin.save()
            self.stdout.write(self.style.SUCCESS("Created the demo admin user."))
        else:
            self.stdout.write("The demo admin user already exists (password unchanged).")
        self.stdout.write(f"  Admin login: {DEMO_ADMIN_EMAIL} / {password}  (/admin/)")

        plan_model = apps.get_model("prop_firm", "PropFirmPlan")
        if not plan_model.objects.exists():
            try:
                call_command("loaddata", "initial_plans.json", verbosity=0)
                self.stdout.write(self.style.SUCCESS("Loaded the seed's plans."))
            except Exception as exc:  # the fixture arrives with the prop firm issue
                self.stdout.write(f"No plans loaded: {exc}")
        self.stdout.write(f"  Plans: {plan_model.objects.count()}")

        # The simulated market's universe, so a trader can place an order at once.
        from core.models import Asset
        from core.services.assets import assets_seed_if_empty

        assets_seed_if_empty()
        self.stdout.write(f"  Assets: {Asset.objects.count()}")
