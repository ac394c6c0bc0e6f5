"""`manage.py test` hands its labels over to pytest and runs the same tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alpacabackend.test_runner import PytestTestRunner, pytest_target

BASE_DIR = Path(__file__).resolve().parents[2]


def test_django_labels_become_the_pytest_paths_of_the_same_tests():
    assert pytest_target("account") == "account"
    assert pytest_target("prop_firm.tests") == "prop_firm/tests"
    assert pytest_target("prop_firm.tests.test_sweep") == "prop_firm/tests/test_sweep.py"
    assert (
        pytest_target("prop_firm.tests.test_sweep.test_rerunning_the_sweep_changes_nothing")
        == "prop_firm/tests/test_sweep.py::test_rerunning_the_sweep_changes_nothing"
    )
    assert pytest_target("account/tests/test_auth.py::test_login") == (
        "account/tests/test_auth.py::test_login"
    )


def test_djangos_options_become_pytests():
    runner = PytestTestRunner(
        verbosity=2, failfast=True, keepdb=True, test_name_patterns=["login", "not slow"]
    )

    assert runner.pytest_args(["account"]) == [
        "account",
        "-k",
        "(login) and (not slow)",
        "-x",
        "--reuse-db",
        "-v",
    ]


def test_manage_py_test_runs_the_pytest_tests_of_the_label_and_pattern():
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(ENV_FILE=os.devnull, DEBUG="True")

    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "test",
            "alpacabackend.tests.test_test_isolation",
            "-k",
            "counts_up",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "1 passed, 1 deselected" in result.stdout


def test_manage_py_test_fails_when_pytest_does(monkeypatch):
    """pytest's exit status 5 (no test collected) or 1 (failures) makes the command fail,
    where Django's own runner would have reported 0 tests and success."""
    from django.core.management import call_command

    ran = []

    def pytest_run(command, **kwargs):
        ran.append(command)
        return subprocess.CompletedProcess(command, returncode=5)

    monkeypatch.setattr(subprocess, "run", pytest_run)

    with pytest.raises(SystemExit) as exit_:
        call_command("test", "account", "-k", "no_such_test")

    assert exit_.value.code == 1
    assert ran == [[sys.executable, "-m", "pytest", "account", "-k", "(no_such_test)"]]
