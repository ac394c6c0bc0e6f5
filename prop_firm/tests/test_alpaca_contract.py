"""The Alpaca API's contract as data: (endpoint, where, field, JSON type), walked by one test.

alpaca-py's pydantic models want the trading numbers as strings and the market data as
numbers; a bot that speaks REST directly reads the same table (docs/alpaca.md)."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from prop_firm.alpaca_api.keys import api_key_create
from prop_firm.tests.factories import AssetFactory, PlanFactory, active_account, put_quote

# where: "" the answer itself, "[0]" its first item, "a.b" nested keys, "*" the first value.
CONTRACT = [
    ("v2/account", "", "id", "uuid"),
    ("v2/account", "", "status", "str"),
    ("v2/account", "", "equity", "decimal"),
    ("v2/account", "", "cash", "decimal"),
    ("v2/account", "", "buying_power", "decimal"),
    ("v2/account", "", "last_equity", "decimal"),
    ("v2/account", "", "multiplier", "decimal"),
    ("v2/account", "", "trading_blocked", "bool"),
    ("v2/account", "", "pattern_day_trader", "bool"),
    ("v2/orders?status=all", "[0]", "id", "uuid"),
    ("v2/orders?status=all", "[0]", "qty", "decimal"),
    ("v2/orders?status=all", "[0]", "filled_avg_price", "decimal"),
    ("v2/orders?status=all", "[0]", "created_at", "time"),
    ("v2/orders?status=all", "[0]", "status", "str"),
    ("v2/positions", "[0]", "asset_id", "uuid"),
    ("v2/positions", "[0]", "qty", "decimal"),
    ("v2/positions", "[0]", "avg_entry_price", "decimal"),
    ("v2/positions", "[0]", "market_value", "decimal"),
    ("v2/positions", "[0]", "unrealized_pl", "decimal"),
    ("v2/assets/AAPL", "", "id", "uuid"),
    ("v2/assets/AAPL", "", "class", "str"),
    ("v2/clock", "", "next_close", "time"),
    ("v2/clock", "", "is_open", "bool"),
    ("v2/stocks/bars?symbols=AAPL&timeframe=1Hour&start={start}", "bars.AAPL[0]", "t", "time"),
    ("v2/stocks/bars?symbols=AAPL&timeframe=1Hour&start={start}", "bars.AAPL[0]", "c", "number"),
    ("v2/stocks/bars?symbols=AAPL&timeframe=1Hour&start={start}", "bars.AAPL[0]", "v", "number"),
    ("v2/stocks/quotes/latest?symbols=AAPL", "quotes.AAPL", "ap", "number"),
    ("v2/stocks/quotes/latest?symbols=AAPL", "quotes.AAPL", "bp", "number"),
    ("v2/stocks/trades/latest?symbols=AAPL", "trades.AAPL", "p", "number"),
    ("v2/prop/rules", "", "daily_loss_floor", "decimal"),
    ("v2/prop/rules", "", "max_loss_room", "decimal"),
    ("v2/prop/rules", "", "next_reset_at", "time"),
]


def _locate(answer, where: str):
    for part in filter(None, where.replace("[0]", ".[0]").split(".")):
        answer = answer[0] if part == "[0]" else answer[part]
    return answer


def _is(kind: str, value) -> bool:
    if kind == "decimal":
        return isinstance(value, str) and Decimal(value).is_finite()
    if kind == "uuid":
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    if kind == "time":
        return isinstance(value, str) and value.endswith("Z") and "T" in value
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, {"str": str, "bool": bool}[kind])


@pytest.fixture
def bot(alice):
    AssetFactory(symbol="AAPL", fractionable=False, shortable=True)
    put_quote("AAPL", "100.00")
    account = active_account(alice, PlanFactory(starting_balance=Decimal("50000.00")))
    created = api_key_create(account=account, user=alice)
    client = APIClient()
    client.credentials(
        HTTP_APCA_API_KEY_ID=created.api_key.key_id, HTTP_APCA_API_SECRET_KEY=created.secret_key
    )
    order = {"symbol": "AAPL", "qty": "3", "side": "buy", "type": "market", "time_in_force": "day"}
    assert client.post("/alpaca/v2/orders", order, format="json").status_code == 200
    return client


def test_every_field_of_the_contract_has_its_json_type(bot):
    start = (timezone.now() - timedelta(days=2)).isoformat().replace("+00:00", "Z")
    answers = {}
    wrong = []
    for endpoint, where, field, kind in CONTRACT:
        path = "/alpaca/" + endpoint.format(start=start)
        if path not in answers:
            response = bot.get(path)
            assert response.status_code == 200, path
            answers[path] = response.json()
        value = _locate(answers[path], where).get(field)
        if not _is(kind, value):
            wrong.append((endpoint, where, field, kind, value))
    assert wrong == []


_JSON_TYPE = {
    "decimal": "string",
    "uuid": "string",
    "time": "string",
    "str": "string",
    "number": "number",
    "bool": "boolean",
}


def _operation_of(paths: dict, endpoint: str) -> dict:
    """The documented GET whose path template matches the contract's endpoint."""
    wanted = "/alpaca/" + endpoint.split("?")[0]
    for template, operations in paths.items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), wanted):
            return operations["get"]
    raise AssertionError(f"{wanted} is not in the schema")


def test_the_schema_documents_the_contract_types():
    """The OpenAPI schema promises what the contract table checks in the answers: a client
    generated from the schema reads the trading numbers as strings, market data as numbers."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def resolved(node: dict) -> dict:
        while "$ref" in node or "allOf" in node:
            node = (
                components[node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else node["allOf"][0]
            )
        return node

    wrong = []
    for endpoint, where, field, kind in CONTRACT:
        operation = _operation_of(schema["paths"], endpoint)
        node = resolved(operation["responses"]["200"]["content"]["application/json"]["schema"])
        for part in filter(None, where.replace("[0]", ".[0]").split(".")):
            if part == "[0]":
                node = resolved(node["items"])
            else:  # a symbol: the value of a map keyed by symbol
                node = resolved(
                    node.get("properties", {}).get(part) or node["additionalProperties"]
                )
        documented = resolved(node["properties"][field]).get("type")
        if documented != _JSON_TYPE[kind]:
            wrong.append((endpoint, where, field, kind, documented))
    assert wrong == []


def test_a_path_with_a_newline_is_an_alpaca_not_found(bot):
    response = bot.get("/alpaca/v2/assets/A%0AB")

    assert response.status_code == 404
    assert response.json() == {"code": 40410000, "message": "endpoint not found"}
