from django.apps import AppConfig


class PropFirmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prop_firm"
    verbose_name = "Prop firm"

    def ready(self):
        # The firm's rules behind the trading engine's door (paper_trading/firm.py): checked
        # before every order, updated after every fill.
        from paper_trading.firm import firm_rules_register
        from prop_firm.services import trading_rules

        firm_rules_register(trading_rules)
