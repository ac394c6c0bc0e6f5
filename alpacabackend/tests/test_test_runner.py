"""`manage.py test` hands its labels over to pytest and runs the same tests."""

import os
import subprocess
import sys
from pathlib import Path

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


def manage_test(*args):
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(ENV_FILE=os.devnull, DEBUG="True")
    return subprocess.run(
        [sys.executable, "manage.py", "test", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_test_runs_the_pytest_suite_of_the_label():
    result = manage_test("alpacabackend.tests.test_test_isolation")

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout


def test_manage_py_test_fails_when_a_label_holds_no_test():
    result = manage_test("alpacabackend.tests.test_test_isolation", "-k", "no_such_test_name")

    assert result.returncode == 1
    assert "2 deselected" in result.stdout
