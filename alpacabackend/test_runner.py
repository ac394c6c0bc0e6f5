"""`manage.py test` runs the pytest suite.

The suite is written for pytest (fixtures, markers, pytest-django), so Django's own runner
would find no tests at all. This runner hands the labels over to pytest in a fresh process:
pytest-django then loads the test settings itself (`pytest.ini`), untouched by the settings
`manage.py` already loaded. `manage.py test account -k login` and `pytest account -k login`
run the same tests.
"""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def pytest_target(label: str) -> str:
    """A Django test label as a pytest path: `account`, `prop_firm.tests.test_sweep`,
    `prop_firm.tests.test_sweep.test_name` (or a path pytest understands, kept as is)."""
    if "/" in label or "::" in label or (BASE_DIR / label).exists():
        return label
    parts = label.split(".")
    for cut in range(len(parts), 0, -1):
        module = Path(*parts[:cut])
        rest = parts[cut:]
        if (BASE_DIR / module).is_dir() and not rest:
            return str(module)
        if (BASE_DIR / module.with_suffix(".py")).is_file():
            return "::".join([str(module.with_suffix(".py")), *rest])
    return label  # pytest will say it found nothing there


class PytestTestRunner:
    def __init__(
        self,
        verbosity=1,
        failfast=False,
        keepdb=False,
        test_name_patterns=None,
        parallel=None,
        **kwargs,
    ):
        self.verbosity = verbosity
        self.failfast = failfast
        self.keepdb = keepdb
        self.test_name_patterns = test_name_patterns or []
        self.parallel = parallel

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument(
            "--failfast", action="store_true", help="Stop at the first failure (pytest -x)."
        )
        parser.add_argument(
            "--keepdb",
            action="store_true",
            help="Keep the test database between runs (pytest --reuse-db).",
        )
        parser.add_argument(
            "-k",
            action="append",
            dest="test_name_patterns",
            help="Only tests matching this pytest -k expression (repeatable: all must match).",
        )
        parser.add_argument(
            "--parallel",
            nargs="?",
            const="auto",
            help="Run over N processes (pytest-xdist -n N; 'auto': one per core).",
        )

    def pytest_args(self, test_labels) -> list[str]:
        args = [pytest_target(label) for label in test_labels]
        if self.test_name_patterns:
            args += ["-k", " and ".join(f"({p})" for p in self.test_name_patterns)]
        if self.failfast:
            args.append("-x")
        if self.keepdb:
            args.append("--reuse-db")
        if self.parallel:
            args += ["-n", str(self.parallel)]
        if self.verbosity == 0:
            args.append("-q")
        elif self.verbosity >= 2:
            args.append("-" + "v" * (self.verbosity - 1))
        return args

    def run_tests(self, test_labels, **kwargs) -> int:
        """pytest's exit status (0: every test passed); the command exits 1 otherwise."""
        command = [sys.executable, "-m", "pytest", *self.pytest_args(test_labels)]
        # This interpreter and our own arguments, no shell: nothing untrusted is executed.
        env = self.pytest_environment()
        return subprocess.run(command, cwd=BASE_DIR, env=env).returncode  # noqa: S603

    @staticmethod
    def pytest_environment() -> dict:
        env = dict(os.environ)
        # manage.py chose the development settings; the suite's are named in pytest.ini.
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return env
