"""The settings refuse unsafe production starts and pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "False",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-0123456789-abcdefghijklmnopqrstuv",
    "ALLOWED_HOSTS": "firm.example.com",
    "SECURE_PROXY_SSL_HEADER": "true",
}


def manage(*args, env_overrides):
    # A clean environment: the test process's own settings variables must not leak in, nor
    # the developer's `.env` (bin/run writes one with DEBUG=True and a key).
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env["ENV_FILE"] = os.devnull
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_server_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = manage("check", env_overrides={"DEBUG": "False"})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_the_local_env_file_configures_every_command_and_real_variables_win(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=True\nDJANGO_SECRET_KEY=from-the-env-file-" + "k" * 40 + "\n")

    from_file = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY[:18])",
        env_overrides={"ENV_FILE": str(env_file)},
    )
    overridden = manage(
        "check",
        env_overrides={"ENV_FILE": str(env_file), "DEBUG": "False", "DJANGO_SECRET_KEY": ""},
    )

    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout.splitlines()[-1] == "True from-the-env-file-"
    # An empty real variable still wins over the file: production refuses to start.
    assert overridden.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in overridden.stderr


def test_deployment_checklist_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_api_schema_generates_without_warnings(tmp_path):
    result = manage(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yml"),
        env_overrides={"DEBUG": "True"},
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "/api/account/login/" in (tmp_path / "schema.yml").read_text()


def test_schema_and_docs_are_served(api_client, db):
    assert api_client.get("/api/schema/").status_code == 200
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content


def setting_values(expression: str, env_overrides: dict) -> str:
    result = manage(
        "shell",
        "-c",
        f"from django.conf import settings as s; print({expression})",
        env_overrides={"DEBUG": "True", **env_overrides},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_nothing_configured_means_sqlite_memory_cache_and_eager_celery():
    out = setting_values(
        "s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND",
        {"SQLITE_PATH": "/tmp/unused.sqlite3"},
    )

    assert "sqlite3" in out
    assert "LocMemCache" in out
    assert "True" in out
    assert "console" in out


def test_database_url_wins_over_the_seed_db_variables():
    out = setting_values(
        "s.DATABASES['default']['NAME'], s.DATABASES['default']['ENGINE']",
        {"DATABASE_URL": "postgres://u@db.example.com:5432/from_url", "DB_NAME": "from_db_name"},
    )

    assert "from_url" in out and "postgresql" in out


def test_seed_db_variables_select_postgresql():
    out = setting_values(
        "s.DATABASES['default']['NAME'], s.DATABASES['default']['HOST']",
        {"DB_NAME": "propfirm_db", "DB_HOST": "db.internal"},
    )

    assert out == "propfirm_db db.internal"


def test_a_redis_broker_switches_celery_and_the_cache_to_redis():
    out = setting_values(
        "s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND']",
        {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/3"},
    )

    assert out == "False alpacabackend.cache.ResilientRedisCache"


def test_celery_beat_keeps_its_schedule_in_the_checkout_whatever_the_directory():
    from alpacabackend.celery import app

    path = Path(app.conf.beat_schedule_filename)

    assert path == BASE_DIR / "celerybeat-schedule"
    assert "celerybeat-schedule*" in (BASE_DIR / ".gitignore").read_text().splitlines()
