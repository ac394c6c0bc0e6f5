import importlib

from django.apps import AppConfig


class PaperTradingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "paper_trading"
    verbose_name = "Paper trading"

    def ready(self):
        # core's hook registry (when it exists): quotes drive order matching, and the symbols
        # of open trades and pending orders are kept streaming.
        try:
            hooks = importlib.import_module("core.hooks")
        except ImportError:
            return
        from paper_trading.selectors import symbols_in_use
        from paper_trading.services.trades import on_quotes

        hooks.register_quote_listener(on_quotes)
        hooks.register_symbol_source(symbols_in_use)
