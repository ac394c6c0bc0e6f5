"""Every staff endpoint: a trader gets 403, an anonymous caller 401, staff get in."""

import pytest

ENDPOINTS = [
    ("get", "dashboard/"),
    ("get", "users/"),
    ("get", "users/1/"),
    ("patch", "users/1/"),
    ("delete", "users/1/"),
    ("post", "users/1/toggle_admin/"),
    ("post", "users/1/toggle_verified/"),
    ("get", "accounts/"),
    ("get", "accounts/1/"),
    ("patch", "accounts/1/"),
    ("delete", "accounts/1/"),
    ("post", "accounts/1/activate/"),
    ("post", "accounts/1/update_balance/"),
    ("post", "accounts/1/add_note/"),
    ("post", "accounts/1/change_status/"),
    ("get", "plans/"),
    ("post", "plans/"),
    ("get", "plans/1/"),
    ("patch", "plans/1/"),
    ("delete", "plans/1/"),
    ("post", "plans/1/toggle_active/"),
    ("get", "payouts/"),
    ("get", "payouts/1/"),
    ("patch", "payouts/1/"),
    ("post", "payouts/1/approve/"),
    ("post", "payouts/1/complete/"),
    ("post", "payouts/1/reject/"),
    ("get", "violations/"),
    ("get", "trades/"),
    ("get", "trades/1/"),
    ("get", "trades/statistics/"),
    ("get", "assets/"),
    ("get", "assets/1/"),
    ("patch", "assets/1/"),
    ("post", "assets/1/toggle_tradable/"),
    ("get", "watchlists/"),
    ("get", "watchlists/1/"),
    ("patch", "watchlists/1/"),
    ("delete", "watchlists/1/"),
    ("post", "watchlists/1/toggle_active/"),
]


def _ids(endpoint):
    return f"{endpoint[0].upper()} {endpoint[1]}"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[_ids(e) for e in ENDPOINTS])
def test_a_trader_is_forbidden(client_for, alice, method, path):
    response = getattr(client_for(alice), method)(f"/api/prop-firm/admin/{path}", {}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[_ids(e) for e in ENDPOINTS])
def test_an_anonymous_caller_must_log_in(api_client, db, method, path):
    response = getattr(api_client, method)(f"/api/prop-firm/admin/{path}", {}, format="json")

    assert response.status_code == 401


def test_every_admin_route_is_covered():
    from prop_firm.admin_api.urls import urlpatterns

    routes = {
        str(p.pattern)
        .replace("<int:user_id>", "1")
        .replace("<int:account_id>", "1")
        .replace("<int:plan_id>", "1")
        .replace("<int:payout_id>", "1")
        .replace("<int:trade_id>", "1")
        .replace("<int:asset_id>", "1")
        .replace("<int:watchlist_id>", "1")
        for p in urlpatterns
    }

    assert routes == {f"admin/{path}" for _, path in ENDPOINTS}


def test_staff_get_in(client_for, staff):
    assert client_for(staff).get("/api/prop-firm/admin/dashboard/").status_code == 200
