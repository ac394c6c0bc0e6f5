"""Settings for the prop-trading-firm platform.

Everything comes from environment variables (a `.env` file is loaded when present); every
variable is listed with a one-line comment in `.env.example`. With nothing set the project runs
on its embedded defaults: SQLite, the simulated market, the local payment gateway, Celery tasks
in-process and console email. Setting a service's variables switches that part to the real
service with no code change.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from core.schedule import BEAT_SCHEDULE as CORE_BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent

# Real environment variables win over the .env file. `bin/run` and `bin/test` write a local
# `.env` on first use; ENV_FILE names another file (`ENV_FILE=/dev/null` reads none, as the
# test settings do, so a developer's `.env` never changes what the suite sees).
load_dotenv(os.environ.get("ENV_FILE") or BASE_DIR / ".env", override=False)


def env(name: str, default: str = "") -> str:
    """The variable's value; unset or empty means the default."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DEBUG off the server refuses to start without "
            "a secret key: set DJANGO_SECRET_KEY (50+ random characters) or DEBUG=True for "
            "local development."
        )
    # Development only (`bin/run` writes a generated key into `.env`; this covers DEBUG=True
    # set by hand): a fixed key so sessions survive restarts of `runserver`.
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "account",
    "core",
    "paper_trading",
    "prop_firm",
]

MIDDLEWARE = [
    "alpacabackend.api.middleware.RequestIdMiddleware",
    "alpacabackend.api.middleware.ApiNotFoundMiddleware",
    "alpacabackend.api.middleware.RequestBoundsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves collectstatic's files (admin, Swagger UI) in production, compressed and cached.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Health probes are answered here, before CommonMiddleware validates the Host header.
    "alpacabackend.api.health.HealthCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "alpacabackend.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "alpacabackend.wsgi.application"
ASGI_APPLICATION = "alpacabackend.asgi.application"

AUTH_USER_MODEL = "account.User"
# The account paper trading trades on: the firm's model, named here so the engine (the lower
# layer) never imports the firm (paper_trading/firm.py).
PAPER_TRADING_ACCOUNT_MODEL = "prop_firm.PropFirmAccount"

# `manage.py test [labels] [-k ...]` runs the pytest suite (the tests are pytest tests).
TEST_RUNNER = "alpacabackend.test_runner.PytestTestRunner"

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL wins over the seed's DB_* variables; with neither, a SQLite file.

if env("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60)}
elif env("DB_NAME"):
    DATABASES = {
        "default": {
            "ENGINE": env("DB_ENGINE", "django.db.backends.postgresql"),
            "NAME": env("DB_NAME"),
            "USER": env("DB_USER", "postgres"),
            "PASSWORD": env("DB_PASSWORD"),
            "HOST": env("DB_HOST", "127.0.0.1"),
            "PORT": env("DB_PORT", "5432"),
            "CONN_MAX_AGE": 60,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Concurrent writers wait for the lock instead of failing at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer, or a row lock held too long, fails the request fast
    # with a JSON 503 and Retry-After (alpacabackend/api/errors.py), never a hung worker.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 5),
            # A statement PREPAREd by alpacabackend.db.Statement is an OLTP read or write by
            # ids, whose plan is the same whatever the ids: planned once, not on every call
            # (left to itself, PostgreSQL re-planned the trade list's every time, 0.9 ms).
            # Only server-side prepared statements follow this setting.
            "options": f"-c lock_timeout={env_int('DB_LOCK_TIMEOUT_MS', 20000)}"
            + " -c plan_cache_mode=force_generic_plan",
        }
    )

# Hot statements PREPAREd once per PostgreSQL connection (alpacabackend.db.Statement); off
# behind a pooler in transaction mode, whose server connections change between transactions.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Latest quotes and throttling counters live here: Redis when configured, memory otherwise.

REDIS_URL = env("REDIS_URL") or (
    env("CELERY_BROKER_URL") if env("CELERY_BROKER_URL").startswith("redis") else ""
)
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down degrades (a short in-process memo, throttles open), never a 500.
            "BACKEND": "alpacabackend.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # The quote cache holds a key or two per symbol: Django's default of 300 entries would
    # silently evict quotes once a few hundred symbols are followed.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": env_int("LOCMEM_CACHE_MAX_ENTRIES", 200_000)},
        }
    }

# --- Auth -----------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# Password reset links (Django's PasswordResetTokenGenerator) expire after this many seconds;
# a link also dies as soon as it is used, since the token hashes the password it replaces.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
# Email verification links (signed with SECRET_KEY) expire after this many seconds.
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 3600)
# The web app: password reset emails link to {FRONTEND_URL}/reset-password/<uid>/<token>.
FRONTEND_URL = env("FRONTEND_URL", "http://localhost:5173").rstrip("/")
# Public base URL of this API, for links in emails; defaults to the host of the request.
BACKEND_URL = env("BACKEND_URL").rstrip("/")
# Google sign-in: the OAuth client id(s) the web app's Google button uses (comma-separated).
# Empty: POST /api/account/social/google/ answers 503 SOCIAL_LOGIN_UNAVAILABLE.
GOOGLE_OAUTH_CLIENT_ID = env_list("GOOGLE_OAUTH_CLIENT_ID", [])
# Checkout refused (403 EMAIL_NOT_VERIFIED) until the trader has verified their email.
CHECKOUT_REQUIRES_VERIFIED_EMAIL = env_bool("CHECKOUT_REQUIRES_VERIFIED_EMAIL", False)

# --- REST framework -------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "alpacabackend.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "alpacabackend.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "alpacabackend.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "alpacabackend.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
    # Proxies in front of the server: only then is X-Forwarded-For trusted for the client IP
    # (per-IP throttles). 0 means REMOTE_ADDR, so a client cannot fake its address.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "DEFAULT_THROTTLE_RATES": {
        # Login/register lockout (account/api/throttles.py): per IP, per email and IP pair,
        # and a looser per-email ceiling that a known device is exempt from.
        "auth_ip": env("THROTTLE_AUTH_IP_RATE", "20/min"),
        "auth_email_ip": env("THROTTLE_AUTH_EMAIL_IP_RATE", "5/min"),
        "auth_email": env("THROTTLE_AUTH_EMAIL_RATE", "30/min"),
        # Emails we send on request (reset links, verification links), per address.
        "email_send": env("THROTTLE_EMAIL_SEND_RATE", "5/hour"),
        # Market data per user: quotes, assets and the clock; candles (provider bars).
        "market_data": env("THROTTLE_MARKET_DATA_RATE", "600/min"),
        "candles": env("THROTTLE_CANDLES_RATE", "120/min"),
        # Each checkout opens a PENDING account: a trader cannot flood the firm's books.
        "checkout": env("THROTTLE_CHECKOUT_RATE", "20/hour"),
        # Stripe Connect onboarding and status, per user (each asks Stripe).
        "connect": env("THROTTLE_CONNECT_RATE", "30/min"),
    },
}
# Requests per API key on the Alpaca-compatible API (/alpaca/): Alpaca's own limit.
ALPACA_API_RATE = env("THROTTLE_ALPACA_KEY_RATE", "200/min")

SPECTACULAR_SETTINGS = {
    "TITLE": "Prop trading firm API",
    "DESCRIPTION": "Challenges, paper trading on real quotes, rule engine, payments and payouts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: the machines have no CDN access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "prop_firm.models.AccountStatus",
        "TradeStatusEnum": "paper_trading.models.TradeStatus",
        # Names that several fields share once the Alpaca API answers its own values.
        "AssetClassEnum": "core.models.AssetClass",
        "OrderTypeEnum": "paper_trading.models.OrderType",
        "TimeInForceEnum": "paper_trading.models.TimeInForce",
        "SideEnum": "prop_firm.alpaca_api.api.serializers.ORDER_SIDES",
        # The Alpaca API's own values (lower case where ours are upper case).
        "AlpacaOrderStatusEnum": "prop_firm.alpaca_api.api.serializers.ORDER_STATUSES",
        "AlpacaOrderClassEnum": "prop_firm.alpaca_api.api.serializers.ORDER_CLASSES",
        "AlpacaOrderTypeEnum": "prop_firm.alpaca_api.api.serializers.ORDER_TYPES",
        "AlpacaTimeInForceEnum": "prop_firm.alpaca_api.api.serializers.TIMES_IN_FORCE",
        "AlpacaPositionSideEnum": "prop_firm.alpaca_api.api.serializers.POSITION_SIDES",
        "AlpacaAssetStatusEnum": "prop_firm.alpaca_api.api.serializers.ASSET_STATUSES",
        "AlpacaExchangeEnum": "prop_firm.alpaca_api.api.serializers.EXCHANGES",
        "AlpacaAccountStatusEnum": "prop_firm.alpaca_api.api.serializers.ACCOUNT_STATUSES",
        "AlpacaCashActivityTypeEnum": "prop_firm.alpaca_api.api.serializers.CASH_ACTIVITY_TYPES",
        "AlpacaFillOrderStatusEnum": ["filled"],
    },
}

# --- CORS and CSRF --------------------------------------------------------------------------
# The single-page app sends credentials, so origins are listed exactly (never "*").

_SPA_DEV_ORIGINS = [
    f"http://{host}:{port}" for port in (3000, 5173, 4173) for host in ("localhost", "127.0.0.1")
]
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", _SPA_DEV_ORIGINS)
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-ID"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", CORS_ALLOWED_ORIGINS)

# --- Security (production) ------------------------------------------------------------------
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=true so Django sees https.

if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^api/health/"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation and static files --------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Celery ---------------------------------------------------------------------------------
# No broker configured: tasks run in-process (eager), so the embedded default needs no Redis.

CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# With no broker, the serving process runs the beat schedule itself in a background thread
# (alpacabackend/scheduler.py): resting orders, stop-losses, the rule sweep and the daily
# reset work on the embedded defaults too. With a broker, `celery beat` runs it.
EMBEDDED_SCHEDULER = env_bool("EMBEDDED_SCHEDULER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# `celery beat` keeps its last-run times in this file (an absolute path, git-ignored), not in
# whatever directory it was started from.
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / "celerybeat-schedule")
)
# Each app adds its periodic tasks below; core's are plain data in core/schedule.py.
CELERY_BEAT_SCHEDULE: dict = {**CORE_BEAT_SCHEDULE}

# --- Email ----------------------------------------------------------------------------------
# Console by default; SMTP as soon as EMAIL_HOST is set.

EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Prop Firm <no-reply@localhost>")
# The firm's name in the emails to traders.
SITE_NAME = env("SITE_NAME", "Prop Firm")

# --- Payments (Stripe, or the local gateway when no key is set) -----------------------------

STRIPE_PUBLIC_KEY = env("STRIPE_PUBLIC_KEY")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
# Signing secret of the Connect endpoint (events about traders' connected accounts), when
# it is a separate endpoint from the one above; both may point at the same URL.
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET")
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", "auto")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 20)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
# The local gateway signs its events like Stripe; without a secret one is derived from
# SECRET_KEY. Its base URL defaults to the host of the request that created the session.
PAYMENTS_LOCAL_WEBHOOK_SECRET = env("PAYMENTS_LOCAL_WEBHOOK_SECRET")
PAYMENTS_LOCAL_BASE_URL = env("PAYMENTS_LOCAL_BASE_URL")

CELERY_BEAT_SCHEDULE.update(
    {
        # Webhook events whose processing failed (gateway down) are retried for 3 days.
        "payments-webhook-retry": {
            "task": "prop_firm.payments.webhook_events_retry",
            "schedule": 300.0,
        },
        "payments-local-expire": {
            "task": "prop_firm.payments.local_sessions_expire",
            "schedule": 3600.0,
        },
    }
)

# --- Market data (Alpaca, or the simulated market when no key is set) -----------------------

APCA_API_KEY = env("APCA_API_KEY")
APCA_API_SECRET_KEY = env("APCA_API_SECRET_KEY")
APCA_API_BASE_URL = env("APCA_API_BASE_URL", "https://paper-api.alpaca.markets")
APCA_DATA_BASE_URL = env("APCA_DATA_BASE_URL", "https://data.alpaca.markets")
APCA_DATA_FEED = env("APCA_DATA_FEED", "iex")
MARKET_DATA_PROVIDER = env("MARKET_DATA_PROVIDER", "auto")
SIMULATED_MARKET_HOURS = env("SIMULATED_MARKET_HOURS", "always")
MARKET_DATA_MAX_QUOTE_AGE = env_int("MARKET_DATA_MAX_QUOTE_AGE", 60)

# --- Paper trading fills -------------------------------------------------------------------
# Market fills at the quote's ask (buy) or bid (sell), moved against the trader by the slippage.

PAPER_SLIPPAGE_BPS = env("PAPER_SLIPPAGE_BPS", "2")
PAPER_COMMISSION_PER_SHARE = env("PAPER_COMMISSION_PER_SHARE", "0.005")
PAPER_COMMISSION_MIN = env("PAPER_COMMISSION_MIN", "1")

CELERY_BEAT_SCHEDULE.update(
    {
        # Fallback for order matching when no quote stream runs (the stream matches on ticks).
        "paper-orders-match": {"task": "paper_trading.orders_match", "schedule": 10.0},
        "paper-orders-expire": {"task": "paper_trading.orders_expire", "schedule": 60.0},
    }
)

# --- Prop firm rules ------------------------------------------------------------------------

PROP_TRADING_DAY_TZ = env("PROP_TRADING_DAY_TZ", "America/New_York")
PROP_TRADING_DAY_RESET = env("PROP_TRADING_DAY_RESET", "17:00")
PROP_RULE_SWEEP_SECONDS = env_int("PROP_RULE_SWEEP_SECONDS", 5)
PROP_RULE_SWEEP_CHUNK = env_int("PROP_RULE_SWEEP_CHUNK", 1000)
PROP_EQUITY_SNAPSHOT_MINUTES = env_int("PROP_EQUITY_SNAPSHOT_MINUTES", 60)

CELERY_BEAT_SCHEDULE.update(
    {
        "prop-firm-rule-sweep": {
            "task": "prop_firm.rule_sweep",
            "schedule": float(PROP_RULE_SWEEP_SECONDS),
            # A sweep that could not start before the next one is due is skipped, not queued.
            "options": {"expires": PROP_RULE_SWEEP_SECONDS},
        },
        # Every minute rather than a cron at the reset time: it acts only when the trading day
        # key changes and never snapshots twice, so late runs and DST changes stay correct.
        "prop-firm-daily-reset": {"task": "prop_firm.daily_reset", "schedule": 60.0},
    }
)

# --- Logging --------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "alpacabackend.api.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {},
}
if CELERY_TASK_ALWAYS_EAGER:
    # Tasks run in-process (and the embedded schedule runs several every 5 s): a "Task ...
    # succeeded" line for each would bury the server's log. Failures are still logged.
    LOGGING["loggers"]["celery.app.trace"] = {"level": env("CELERY_TRACE_LOG_LEVEL", "WARNING")}
