"""Schemathesis over the project's own OpenAPI schema, against the WSGI app (issue 12).

Every operation is called with generated input, as a trader and as staff, and each answer
must be no server error, have a status code the schema documents, and match the documented
shape. A fixed seed (derandomize) and a bounded number of examples per operation keep it
to a few minutes. It runs in the suite on SQLite and on PostgreSQL (CI runs both).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# Operations left out, with the reason: they act on the outside world or the process.
EXCLUDED_PATHS = (
    "/api/prop-firm/webhook/stripe/",  # signed by Stripe: every generated body is a 400
    "/api/schema/",  # the schema itself (large, not JSON by default)
    "/api/docs/",
)


def _load_schema():
    """The schema drf-spectacular serves, as schemathesis operations bound to the WSGI app
    (built at collection: it needs Django, not the database)."""
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator

    raw = SchemaGenerator().get_schema(request=None, public=True)
    raw = {
        **raw,
        "paths": {path: ops for path, ops in raw["paths"].items() if path not in EXCLUDED_PATHS},
    }
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    return {op.label: op for op in (result.ok() for result in loaded.get_all_operations())}


OPERATIONS = _load_schema()


@pytest.fixture
def personas(alice, staff, settings):
    """A trader with an active account, a position and a pending order, and staff."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from rest_framework_simplejwt.tokens import RefreshToken

    settings.MARKET_DATA_PROVIDER = "simulated"
    settings.SIMULATED_MARKET_HOURS = "always"
    _book(alice)
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {
            name: {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
            for name, user in (("trader", alice), ("staff", staff))
        }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _book(alice):
    from decimal import Decimal

    from core.quotes import Quote, quotes_store
    from paper_trading.services.trades import trade_place
    from prop_firm.tests.factories import AssetFactory, active_account

    account = active_account(alice)
    aapl = AssetFactory(symbol="AAPL")
    from django.utils import timezone

    quotes_store(
        [Quote("AAPL", Decimal("99.98"), Decimal("100.00"), Decimal("99.99"), timezone.now())]
    )
    trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("10"))
    trade_place(
        account=account, asset=aapl, direction="LONG", quantity=Decimal("1"),
        order_type="LIMIT", limit_price=Decimal("50"),
    )  # fmt: skip


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_the_api_keeps_the_promises_of_its_schema(label, personas):
    operation = OPERATIONS[label]

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,  # the fixed seed: the same cases on every run
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy())
    def each_case(case):
        for headers in personas.values():
            case.call_and_validate(headers=headers, checks=CHECKS)

    each_case()
