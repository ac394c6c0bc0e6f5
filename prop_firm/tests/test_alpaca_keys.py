"""API keys of a prop account (the web app's JWT API), how the Alpaca API authenticates and
throttles them, its error shape, and the staff's list and revoke in the Django admin."""

import hashlib
from decimal import Decimal

import pytest

from prop_firm.alpaca_api.keys import api_key_create
from prop_firm.alpaca_api.models import ApiKey
from prop_firm.tests.factories import AssetFactory, PlanFactory, active_account, put_quote


@pytest.fixture
def account(alice):
    return active_account(alice, PlanFactory(starting_balance=Decimal("50000.00")))


def _keys_url(account) -> str:
    return f"/api/prop-firm/accounts/{account.pk}/api_keys/"


def _alpaca(api_client, created):
    api_client.credentials(
        HTTP_APCA_API_KEY_ID=created.api_key.key_id, HTTP_APCA_API_SECRET_KEY=created.secret_key
    )
    return api_client


def test_a_created_key_shows_its_secret_once_and_stores_only_a_hash(client_for, alice, account):
    api = client_for(alice)

    response = api.post(_keys_url(account), {"label": "momentum bot"}, format="json")

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["key_id"].startswith("PK") and len(data["secret_key"]) == 40
    stored = ApiKey.objects.get(key_id=data["key_id"])
    assert stored.secret_hash == hashlib.sha256(data["secret_key"].encode()).hexdigest()
    assert data["secret_key"] not in str(vars(stored))
    listed = api.get(_keys_url(account)).json()["data"]
    assert [(k["key_id"], k["label"]) for k in listed] == [(data["key_id"], "momentum bot")]
    assert "secret_key" not in listed[0]


def test_another_traders_account_keys_are_404(client_for, bob, account, alice):
    created = api_key_create(account=account, user=alice)
    api = client_for(bob)

    assert api.get(_keys_url(account)).status_code == 404
    assert api.post(_keys_url(account), {}, format="json").status_code == 404
    revoke = api.delete(f"{_keys_url(account)}{created.api_key.key_id}/")
    assert revoke.status_code == 404
    assert ApiKey.objects.get().revoked_at is None


def test_a_revoked_key_stops_working_at_once(client_for, alice, account, api_client):
    created = api_key_create(account=account, user=alice)
    bot = _alpaca(api_client, created)
    assert bot.get("/alpaca/v2/account").status_code == 200

    response = client_for(alice).delete(f"{_keys_url(account)}{created.api_key.key_id}/")

    assert response.status_code == 204
    refused = bot.get("/alpaca/v2/account")
    assert refused.status_code == 401
    assert refused.json() == {"code": 40110000, "message": "request is not authorized"}
    assert client_for(alice).get(_keys_url(account)).json()["data"] == []


def test_a_wrong_secret_or_no_key_is_401_in_alpacas_shape(api_client, account, alice):
    created = api_key_create(account=account, user=alice)
    api_client.credentials(
        HTTP_APCA_API_KEY_ID=created.api_key.key_id, HTTP_APCA_API_SECRET_KEY="x" * 40
    )
    assert api_client.get("/alpaca/v2/account").status_code == 401
    api_client.credentials()
    missing = api_client.get("/alpaca/v2/account")
    assert missing.status_code == 401
    assert missing.json()["code"] == 40110000


def test_a_key_is_throttled_with_retry_after(settings, api_client, account, alice):
    settings.ALPACA_API_RATE = "2/min"
    bot = _alpaca(api_client, api_key_create(account=account, user=alice))

    answers = [bot.get("/alpaca/v2/clock") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[-1].json()["code"] == 42910000
    assert int(answers[-1]["Retry-After"]) > 0


def test_unknown_paths_and_trailing_slashes_answer_alpaca_404_without_redirect(
    api_client, account, alice
):
    bot = _alpaca(api_client, api_key_create(account=account, user=alice))

    for path in ("/alpaca/v2/nothing", "/alpaca/v2/account/"):
        response = bot.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == 40410000


def test_another_accounts_order_is_404(api_client, account, alice, bob):
    AssetFactory(symbol="AAPL")
    put_quote("AAPL", "100")
    mine = _alpaca(api_client, api_key_create(account=account, user=alice))
    order = mine.post(
        "/alpaca/v2/orders",
        {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"},
        format="json",
    ).json()
    bob_account = active_account(bob)
    from rest_framework.test import APIClient

    theirs = _alpaca(APIClient(), api_key_create(account=bob_account, user=bob))

    assert theirs.get(f"/alpaca/v2/orders/{order['id']}").status_code == 404
    assert theirs.delete(f"/alpaca/v2/orders/{order['id']}").status_code == 404
    assert theirs.get("/alpaca/v2/positions").json() == []


def test_orders_list_costs_the_same_queries_for_many_orders(
    api_client, account, alice, django_assert_max_num_queries
):
    AssetFactory(symbol="AAPL")
    put_quote("AAPL", "100")
    bot = _alpaca(api_client, api_key_create(account=account, user=alice))
    order = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "limit", "time_in_force": "gtc"}
    for price in range(50, 60):
        bot.post("/alpaca/v2/orders", {**order, "limit_price": str(price)}, format="json")

    # Key lookup, last-used stamp (at most once a minute), the trades of the account.
    with django_assert_max_num_queries(3):
        listed = bot.get("/alpaca/v2/orders?limit=100").json()
    assert len(listed) == 10


def test_staff_list_and_revoke_keys_in_the_admin(client, staff, account, alice):
    staff.is_superuser = True
    staff.save()
    created = api_key_create(account=account, label="grid bot", user=alice)
    client.force_login(staff)

    page = client.get("/admin/prop_firm/apikey/")
    assert page.status_code == 200
    assert created.api_key.key_id in page.content.decode()
    assert created.secret_key not in page.content.decode()

    client.post(
        "/admin/prop_firm/apikey/",
        {"action": "revoke_keys", "_selected_action": [created.api_key.pk]},
    )
    created.api_key.refresh_from_db()
    assert created.api_key.revoked_at is not None
    assert created.api_key.revoked_by == staff


def test_prop_rules_tell_the_bot_its_floors_and_target(api_client, account, alice):
    bot = _alpaca(api_client, api_key_create(account=account, user=alice))

    rules = bot.get("/alpaca/v2/prop/rules").json()

    assert rules["status"] == "ACTIVE" and rules["trading_blocked"] is False
    assert rules["daily_loss_floor"] == "47500.00"
    assert rules["max_loss_floor"] == "45000.00"
    assert rules["max_loss_room"] == "5000.00"
    assert rules["profit_target"] == "5000.00"
    assert rules["next_reset_at"].endswith("Z")
