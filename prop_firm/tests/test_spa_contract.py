"""The original web app's contract (docs/SPA-CONTRACT.md §1–6), row by row.

Each row of `spa_contract.ROWS` sends the SPA's exact request, as the SPA's caller, to a
populated firm (`spa_world.World`) and asserts the field is where the SPA reads it, under
its name, in the JSON type it needs; a list location must have elements, and every element
is checked. Mutation rows build their own objects and need only a 2xx, as the SPA does.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation

import pytest
import responses
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from account import testing as google
from prop_firm.tests.spa_contract import ROWS, Row
from prop_firm.tests.spa_world import FRESH, MARKET_SETTINGS, World, put_quotes

API = "/api"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction every test nests in (a savepoint
    each, rolled back), and rolled back at the end: Django's `setUpTestData` pattern."""
    with django_db_blocker.unblock(), override_settings(**MARKET_SETTINGS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield World()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _market(settings):
    """The world's market, quotes in the (per-test cleared) cache so open trades are
    valued, and the local checkout `bin/run` serves (no Stripe key)."""
    for name, value in MARKET_SETTINGS.items():
        setattr(settings, name, value)
    settings.PAYMENT_GATEWAY = "local"
    put_quotes()


_responses: dict[tuple[str, str], object] = {}


@pytest.fixture(scope="module", autouse=True)
def _forget_responses():
    """GET answers are shared by the rows of one endpoint: the world does not change
    between them (every mutation row rolls back)."""
    _responses.clear()
    yield
    _responses.clear()


def _client(who: str, world: World) -> APIClient:
    client = APIClient()
    user = {"trader": world.alice, "staff": world.staff, "anon": None}[who]
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _fill(value, ids: dict):
    """`{name}` → its value; a whole-string placeholder keeps the value's type (an id)."""
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return ids[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(ids[m.group(1)]), value)
    return value


def _send(row: Row, world: World, ids: dict):
    path = API + _fill(row.path, ids)
    if row.method == "GET" and not row.fresh:
        key = (path, row.who)
        if key not in _responses:
            _responses[key] = _client(row.who, world).get(path, **row.headers)
        return _responses[key]
    body = _fill(row.body, ids) if row.body is not None else None
    return _client(row.who, world).generic(
        row.method,
        path,
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        **row.headers,
    )


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_numeric_string(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _is_date(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


TYPES = {
    "num!": _is_number,
    "num": _is_number,
    "num|str": lambda v: _is_number(v) or _is_numeric_string(v),
    "str!": lambda v: isinstance(v, str),
    "str": lambda v: isinstance(v, str),
    "date": _is_date,
    "bool": lambda v: isinstance(v, bool),
    "arr": lambda v: isinstance(v, list),
    "obj": lambda v: isinstance(v, dict),
    "truthy": bool,
}


def _places(body, location: str) -> list[tuple[str, object]]:
    """Every object `location` names in `body`, with its path for the failure message."""
    places = [("top", body)]
    if location == "top":
        return places
    for part in location.split("."):
        many = part.endswith("[]")
        name = part.removesuffix("[]")
        found = []
        for where, obj in places:
            assert isinstance(obj, dict), f"{where} is {type(obj).__name__}, not an object"
            assert name in obj, f"{where} has no {name!r}; keys: {sorted(obj)}"
            value = obj[name]
            if many:
                assert isinstance(value, list), f"{where}.{name} is not a list: {value!r}"
                assert value, f"{where}.{name} is empty: the row would pass vacuously"
                found += [(f"{where}.{name}[{i}]", item) for i, item in enumerate(value)]
            else:
                found.append((f"{where}.{name}", value))
        places = found
    return places


def _current_account(world: World) -> int:
    """The account the SPA shows: the first ACTIVE one of GET /prop-firm/accounts/."""
    accounts = _client("trader", world).get(f"{API}/prop-firm/accounts/").json()["data"]
    return next(a["id"] for a in accounts if a["status"] == "ACTIVE")


def _check_field(row: Row, world: World, body) -> None:
    optional = row.type.endswith("?")
    kind = row.type.removesuffix("?")
    for where, obj in _places(body, row.location):
        assert isinstance(obj, dict), f"{where} is {type(obj).__name__}, not an object"
        if optional and obj.get(row.field) is None:
            continue
        assert row.field in obj, f"{where} has no {row.field!r}; keys: {sorted(obj)}"
        value = obj[row.field]
        if kind.startswith("in:"):
            allowed = kind.removeprefix("in:").split(",")
            assert value in allowed, f"{where}.{row.field} = {value!r}, not one of {allowed}"
        elif kind == "current_account":
            expected = _current_account(world)
            assert value == expected, (
                f"{where}.{row.field} = {value!r}: a trade of another account than the one "
                f"the SPA shows ({expected})"
            )
        else:
            assert TYPES[kind](value), (
                f"{where}.{row.field} = {value!r} ({type(value).__name__}) is not {row.type}"
            )


@contextmanager
def _google_configured(settings):
    """Google sign-in configured, Google's certificates served by `responses`."""
    settings.GOOGLE_OAUTH_CLIENT_ID = [google.CLIENT_ID]
    with responses.RequestsMock() as stub:
        stub.get(google.CERTS_URL, json={google.KEY_ID: google.CERTIFICATE_PEM})
        yield


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_the_spa_reads_what_it_needs(row: Row, world: World, settings):
    if row.skip:
        pytest.skip(row.skip)
    ids = {**world.ids, "alice_refresh": str(RefreshToken.for_user(world.alice))}
    if row.fresh:
        ids.update(FRESH[row.fresh](world))

    if row.needs == "google":
        ids["google_id_token"] = google.id_token()
        with _google_configured(settings):
            response = _send(row, world, ids)
    else:
        response = _send(row, world, ids)

    status = response.status_code
    text = response.content[:400]
    if row.type == "2xx":
        assert 200 <= status < 300, f"{status}: {text!r}"
        return
    if row.type == "cors":
        origin = row.headers["HTTP_ORIGIN"]
        assert status == 200, f"{status}: {text!r}"
        assert response.get("Access-Control-Allow-Origin") == origin
        assert response.get("Access-Control-Allow-Credentials") == "true"
        return
    if row.type == "4xx":
        assert 400 <= status < 500, f"{status}: {text!r}"
        body = response.json()
        assert isinstance(body.get(row.field), str), f"no {row.field!r} sentence in {body}"
        return
    assert 200 <= status < 300, f"{status}: {text!r}"
    _check_field(row, world, response.json())


def test_the_table_covers_every_section_and_type():
    """A row that names an unknown type or fresh maker would test nothing."""
    known = {*TYPES, "2xx", "4xx", "cors", "current_account"}
    for row in ROWS:
        kind = row.type.removesuffix("?")
        assert kind in known or kind.startswith("in:"), row.id
        assert row.fresh is None or row.fresh in FRESH, row.id
        assert row.who in {"trader", "staff", "anon"}, row.id
    assert {row.section for row in ROWS} == {
        "1", "2", "3", "4", "5", "6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "6.8", "6.9"
    }  # fmt: skip
