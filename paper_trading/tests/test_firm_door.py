"""The trading engine asks the firm only through its door (STYLE.md "Dependencies point one
way"): paper trading never imports the prop firm, the firm registers its rules at startup."""

import ast
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from paper_trading import firm
from paper_trading.models import Trade
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import balance, place

ROOT = Path(__file__).resolve().parents[2]
# Lowest first: a package may import its own layer and the ones before it, never a later one.
LAYERS = (
    ("alpacabackend.db", "alpacabackend.money"),
    ("account", "core"),
    ("paper_trading",),
    ("prop_firm",),
)
# The project package also holds the wiring (urls, celery, settings), which names every app:
# only its convention modules are a layer.


def _source_files(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield ".".join(parts)[: -len(".py")].removesuffix(".__init__"), path


def _is_type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _runtime_imports(path: Path) -> set[str]:
    """Every module this file imports when it runs, at module level or inside a function.
    Imports under `if TYPE_CHECKING:` are for annotations only and never executed."""
    imported: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking_block(child):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, ast.Import):
                imported.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                imported.add(child.module)
                imported.update(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return imported


def _graph(packages) -> dict[str, set[str]]:
    modules = {name: path for package in packages for name, path in _source_files(package)}
    return {
        name: {target for target in _runtime_imports(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                strongconnect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return components


def test_the_import_graph_has_no_circle_between_paper_trading_and_the_prop_firm():
    graph = _graph(("paper_trading", "prop_firm"))
    # The firm does use the engine (it places liquidations, reads positions): one way only.
    assert any(
        target.startswith("paper_trading")
        for module, targets in graph.items()
        if module.startswith("prop_firm")
        for target in targets
    )
    crossing = [
        cycle
        for cycle in _cycles(graph)
        if {module.split(".")[0] for module in cycle} == {"paper_trading", "prop_firm"}
    ]
    assert crossing == []


def test_no_module_imports_a_higher_layer():
    upward = []
    for rank, layer in enumerate(LAYERS):
        higher = tuple(package for later in LAYERS[rank + 1 :] for package in later)
        for package in layer:
            files = (
                [(package, ROOT / (package.replace(".", "/") + ".py"))]
                if "." in package
                else _source_files(package)
            )
            for name, path in files:
                upward += [
                    (name, target)
                    for target in sorted(_runtime_imports(path))
                    if target.split(".")[0] in higher or target in higher
                ]
    assert upward == []


# The engine's modules imported in a process where the firm's app is installed (its models
# load: the trade's FK names them) but the firm has not opened the door yet. On the old code
# `paper_trading.services.trades` pulled in the firm's rule engine, services and pure rules.
_PROBE = textwrap.dedent(
    """
    import sys, types
    import django
    from django.apps import AppConfig
    from django.conf import settings

    class FirmModelsOnly(AppConfig):
        name = label = "prop_firm"
        default_auto_field = "django.db.models.BigAutoField"

        def ready(self):  # the firm's models, without its startup registration
            pass

    probe = types.ModuleType("door_probe_apps")
    probe.FirmModelsOnly = FirmModelsOnly
    sys.modules["door_probe_apps"] = probe
    settings.INSTALLED_APPS = [
        "django.contrib.auth", "django.contrib.contenttypes", "account", "core",
        "paper_trading", "door_probe_apps.FirmModelsOnly",
    ]
    django.setup()
    import paper_trading.models, paper_trading.selectors, paper_trading.services.trades
    import paper_trading.management.commands.check_ledger, paper_trading.api.views
    import paper_trading.tasks
    loaded = sorted(name for name in sys.modules if name.split(".")[0] == "prop_firm")
    print("\\n".join(loaded))
    """
)


def test_importing_the_trading_engine_loads_none_of_the_firms_code():
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "alpacabackend.settings_test", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.split()
    assert "prop_firm.models" in loaded  # the probe is real: the firm's app is installed
    # Django loads the firm's models (and the packages holding them); nothing else of the firm.
    models = [name for name in loaded if name.endswith(".models")]
    allowed = {"prop_firm", *models, *(name.removesuffix(".models") for name in models)}
    assert [name for name in loaded if name not in allowed] == []


def test_the_firm_opens_the_door_at_startup_and_shares_the_engines_rejection():
    from prop_firm.services import trading_rules

    assert firm.firm_rules() is trading_rules
    assert trading_rules.TradeRejected is firm.TradeRejected


def test_an_engine_without_a_firm_refuses_to_trade(monkeypatch):
    monkeypatch.setattr(firm, "_firm_rules", None)
    with pytest.raises(ImproperlyConfigured):
        firm.check_order(account=None, asset=None, direction="LONG", quantity=1, price=1,
                         reduces_position=False)  # fmt: skip


class _StrictFirm:
    """A firm that refuses large orders and records what the engine tells it."""

    def __init__(self):
        self.fills = []

    def check_order(self, *, quantity, **order):
        if quantity > 5:
            raise firm.TradeRejected("At most 5 shares here.", code="HOUSE_LIMIT")

    def after_fill(self, *, account, trade):
        self.fills.append((account.pk, trade.pk, trade.status))


def test_every_order_asks_whichever_firm_is_registered(api, account, aapl, monkeypatch):
    strict = _StrictFirm()
    monkeypatch.setattr(firm, "_firm_rules", strict)
    quote("AAPL", "99.98", "100.00")

    refused = place(api, symbol="AAPL", side="buy", quantity="10", order_type="market")
    assert refused.status_code == 400
    assert refused.json()["code"] == "HOUSE_LIMIT"
    assert not Trade.objects.filter(account=account).exists()
    assert balance(account) == Decimal("100000.00")

    filled = place(api, symbol="AAPL", side="buy", quantity="5", order_type="market")
    assert filled.status_code == 201, filled.json()
    trade = Trade.objects.get(account=account)
    assert strict.fills == [(account.pk, trade.pk, "OPEN")]
