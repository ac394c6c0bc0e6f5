from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Market data"

    def ready(self):
        from core import hooks, selectors
        from core.providers import market_settings_check

        market_settings_check()  # a misconfigured market stops start-up, with a sentence

        # The stream and the polling task keep watched symbols fresh.
        hooks.register_symbol_source(selectors.watched_symbols)
