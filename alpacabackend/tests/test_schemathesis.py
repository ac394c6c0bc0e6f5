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
    """A trader with an active account, a position and a pending order, and staff; the
    trader's API key for the Alpaca-compatible API. Google sign-in and the local payment
    gateway are configured as in a real deployment (Google's certificates stubbed), so those
    operations answer their real 2xx/4xx instead of "not configured"."""
    import responses
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from rest_framework_simplejwt.tokens import RefreshToken

    from account import testing as google
    from prop_firm.alpaca_api.keys import api_key_create

    settings.MARKET_DATA_PROVIDER = "simulated"
    settings.SIMULATED_MARKET_HOURS = "always"
    settings.PAYMENT_GATEWAY = "local"
    settings.GOOGLE_OAUTH_CLIENT_ID = [google.CLIENT_ID]
    account = _book(alice)
    key = api_key_create(account=account, label="schemathesis")
    jwt = {
        name: {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
        for name, user in (("trader", alice), ("staff", staff))
    }
    bot = {"APCA-API-KEY-ID": key.api_key.key_id, "APCA-API-SECRET-KEY": key.secret_key}
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
            stub.get(google.CERTS_URL, json={google.KEY_ID: google.CERTIFICATE_PEM})
            yield {"api": list(jwt.values()), "alpaca": [bot, jwt["trader"]]}
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
    return account


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
        callers = personas["alpaca" if operation.path.startswith("/alpaca/") else "api"]
        for headers in callers:
            case.call_and_validate(headers=headers, checks=CHECKS)

    each_case()
