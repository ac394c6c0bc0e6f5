"""The test suite's settings: the one settings module, fed a fixed environment first.

Tests run on the embedded defaults whatever the developer's shell or `.env` says (the `.env`
is not read); only DATABASE_URL from the shell passes through, so CI can run the same suite
on PostgreSQL.
"""

import os

# A developer's `.env` (written by bin/run) is not read at all: the suite's configuration is
# this file, whatever the checkout holds.
os.environ["ENV_FILE"] = os.devnull
os.environ["DJANGO_SECRET_KEY"] = "test-secret-key-not-for-production-" + "x" * 30
for _name in (
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "REDIS_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLIC_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_CONNECT_WEBHOOK_SECRET",
    "APCA_API_KEY",
    "APCA_API_SECRET_KEY",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "DB_NAME",
    "CORS_ALLOWED_ORIGINS",
    "ALLOWED_HOSTS",
    "MARKET_DATA_PROVIDER",
    "SIMULATED_MARKET_HOURS",
    "PAYMENT_GATEWAY",
    "GOOGLE_OAUTH_CLIENT_ID",
    "FRONTEND_URL",
    "BACKEND_URL",
    "CHECKOUT_REQUIRES_VERIFIED_EMAIL",
):
    os.environ[_name] = ""
os.environ["DEBUG"] = "False"
# The suite drives the scheduled tasks itself; no server of the suite runs a schedule thread.
os.environ["EMBEDDED_SCHEDULER"] = "False"
os.environ["SECURE_SSL_REDIRECT"] = "False"

from alpacabackend.settings import *  # noqa: E402, F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Fast hashing: the suite creates many users; production keeps Django's default hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# No collectstatic before tests: the manifest storage of production would find no manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
