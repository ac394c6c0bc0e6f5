"""/api/core/watchlists/ CRUD with add_asset/remove_asset, and /api/core/watchlist/."""

import pytest

from core.models import Asset, WatchList, WatchListAsset

URL = "/api/core/watchlists/"


@pytest.fixture
def alices_list(alice, aapl):
    watchlist = WatchList.objects.create(user=alice, name="Tech", is_default=True)
    WatchListAsset.objects.create(watchlist=watchlist, asset=aapl)
    return watchlist


def test_it_needs_a_signed_in_user(api_client, db):
    assert api_client.get(URL).status_code == 401


def test_the_first_list_created_becomes_the_default(alice, client_for):
    response = client_for(alice).post(
        URL, {"name": "Tech", "description": "Big tech"}, format="json"
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["is_default"] is True
    assert data["assets"] == [] and data["asset_count"] == 0


def test_a_new_default_list_takes_the_flag_from_the_old_one(alice, client_for, alices_list):
    data = client_for(alice).post(URL, {"name": "Crypto", "is_default": True}, format="json").json()
    assert data["data"]["is_default"] is True
    alices_list.refresh_from_db()
    assert alices_list.is_default is False


def test_a_list_without_a_name_is_rejected(alice, client_for):
    response = client_for(alice).post(URL, {"description": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["msg"].startswith("name:")


def test_the_list_shows_only_my_lists_with_counts(alice, bob, client_for, alices_list):
    WatchList.objects.create(user=bob, name="Bob's", is_default=True)
    body = client_for(alice).get(URL).json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["name"] == "Tech" and item["asset_count"] == 1
    assert set(item) == {
        "id",
        "name",
        "description",
        "is_active",
        "is_default",
        "is_global",
        "asset_count",
        "created_at",
    }


def test_the_list_costs_a_fixed_number_of_queries(
    alice, client_for, aapl, django_assert_num_queries
):
    for i in range(5):
        watchlist = WatchList.objects.create(user=alice, name=f"L{i}", is_default=i == 0)
        WatchListAsset.objects.create(watchlist=watchlist, asset=aapl)
    client = client_for(alice)
    with django_assert_num_queries(3):  # user, count, page (counts annotated)
        client.get(URL)


def test_detail_is_bare_with_its_assets(alice, client_for, alices_list, aapl):
    body = client_for(alice).get(f"{URL}{alices_list.id}/").json()
    assert body["name"] == "Tech" and "updated_at" in body
    entry = body["assets"][0]
    assert entry["asset"] == {
        "id": aapl.id,
        "symbol": "AAPL",
        "name": "Apple Inc.",
        "asset_class": "us_equity",
        "exchange": "NASDAQ",
    }
    assert {"id", "added_at", "is_active"} <= set(entry)


def test_detail_costs_a_fixed_number_of_queries(
    alice, client_for, alices_list, btc, django_assert_num_queries
):
    WatchListAsset.objects.create(watchlist=alices_list, asset=btc)
    client = client_for(alice)
    with django_assert_num_queries(3):  # user, list, entries with assets
        client.get(f"{URL}{alices_list.id}/")


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_users_list_is_not_found(bob, client_for, alices_list, method):
    response = getattr(client_for(bob), method)(f"{URL}{alices_list.id}/", {}, format="json")
    assert response.status_code == 404
    assert WatchList.objects.filter(pk=alices_list.pk).exists()


def test_bob_cannot_add_to_or_remove_from_alices_list(bob, client_for, alices_list, aapl):
    client = client_for(bob)
    add = client.post(f"{URL}{alices_list.id}/add_asset/", {"asset_id": aapl.id}, format="json")
    remove = client.delete(f"{URL}{alices_list.id}/remove_asset/{aapl.id}/")
    assert (add.status_code, remove.status_code) == (404, 404)
    assert alices_list.items.count() == 1


def test_patch_updates_and_answers_wrapped(alice, client_for, alices_list):
    response = client_for(alice).patch(
        f"{URL}{alices_list.id}/", {"name": "Tech giants", "is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Tech giants"
    assert response.json()["data"]["is_active"] is False


def test_put_is_not_allowed(alice, client_for, alices_list):
    assert client_for(alice).put(f"{URL}{alices_list.id}/", {}).status_code == 405


def test_deleting_the_default_list_promotes_the_next_one(alice, client_for, alices_list):
    other = WatchList.objects.create(user=alice, name="Other")
    assert client_for(alice).delete(f"{URL}{alices_list.id}/").status_code == 204
    other.refresh_from_db()
    assert other.is_default


def test_add_asset_is_idempotent(alice, client_for, alices_list, btc):
    client = client_for(alice)
    first = client.post(f"{URL}{alices_list.id}/add_asset/", {"asset_id": btc.id}, format="json")
    again = client.post(f"{URL}{alices_list.id}/add_asset/", {"asset_id": btc.id}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["data"]["asset_count"] == 2


def test_adding_an_unknown_asset_is_a_400(alice, client_for, alices_list):
    response = client_for(alice).post(
        f"{URL}{alices_list.id}/add_asset/", {"asset_id": 999999}, format="json"
    )
    assert response.status_code == 400
    assert "asset_id" in response.json()["errors"]


def test_remove_asset_by_post_answers_wrapped_and_by_delete_204(
    alice, client_for, alices_list, aapl, btc
):
    WatchListAsset.objects.create(watchlist=alices_list, asset=btc)
    client = client_for(alice)
    by_post = client.post(f"{URL}{alices_list.id}/remove_asset/{aapl.id}/")
    by_delete = client.delete(f"{URL}{alices_list.id}/remove_asset/{btc.id}/")
    assert by_post.status_code == 200 and by_post.json()["data"]["asset_count"] == 1
    assert by_delete.status_code == 204
    assert not alices_list.items.exists()


def test_removing_an_asset_not_on_the_list_is_404(alice, client_for, alices_list, btc):
    response = client_for(alice).delete(f"{URL}{alices_list.id}/remove_asset/{btc.id}/")
    assert response.status_code == 404


def test_the_default_watchlist_lists_its_entries(alice, bob, client_for, alices_list):
    WatchList.objects.create(user=bob, name="Bob's", is_default=True).items.create(
        asset=Asset.objects.create(symbol="IBM", name="IBM")
    )
    body = client_for(alice).get("/api/core/watchlist/").json()
    assert body["count"] == 1
    assert body["results"][0]["asset"] == {
        "id": alices_list.items.get().asset_id,
        "symbol": "AAPL",
        "name": "Apple Inc.",
    }


def test_without_a_default_list_the_quick_picks_are_empty(bob, client_for):
    assert client_for(bob).get("/api/core/watchlist/").json()["results"] == []


def test_the_default_list_cannot_be_switched_off(alice, client_for, alices_list):
    response = client_for(alice).patch(
        f"{URL}{alices_list.id}/", {"is_default": False, "name": "Renamed"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "DEFAULT_REQUIRED"
    assert body["msg"].startswith("is_default: This is your default watchlist")
    assert list(body["errors"]) == ["is_default"]
    alices_list.refresh_from_db()
    assert (alices_list.is_default, alices_list.name) == (True, "Tech")


def test_a_list_that_is_not_the_default_may_say_so(alice, client_for, alices_list):
    other = WatchList.objects.create(user=alice, name="Other")
    response = client_for(alice).patch(f"{URL}{other.id}/", {"is_default": False}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["is_default"] is False


def test_global_true_lists_the_firms_shared_lists_with_their_assets(
    alice, bob, staff, client_for, alices_list, aapl, btc, django_assert_num_queries
):
    """`?global=true` (the web app's shared-lists picker) reads the firm's shared lists of
    any owner, each with its assets, not the caller's own lists."""
    shared = WatchList.objects.create(user=staff, name="Firm picks", is_global=True)
    WatchListAsset.objects.create(watchlist=shared, asset=aapl)
    WatchListAsset.objects.create(watchlist=shared, asset=btc)
    WatchList.objects.create(user=staff, name="Retired", is_global=True, is_active=False)
    bobs = client_for(bob)
    with django_assert_num_queries(4):  # user, count, page, the lists' assets
        body = bobs.get(URL, {"global": "true"}).json()
    [row] = body["results"]
    assert (row["name"], row["is_global"], row["asset_count"]) == ("Firm picks", True, 2)
    assert {entry["asset"]["symbol"] for entry in row["assets"]} == {"AAPL", "BTC/USD"}
    # Still not bob's to change: a shared list is read-only for traders.
    assert (
        client_for(bob).patch(f"{URL}{shared.pk}/", {"name": "x"}, format="json").status_code == 404
    )
    assert [r["name"] for r in client_for(alice).get(URL).json()["results"]] == ["Tech"]


def test_staff_share_a_list_with_every_trader(alice, bob, staff, client_for, alices_list):
    response = client_for(staff).patch(
        f"/api/prop-firm/admin/watchlists/{alices_list.pk}/", {"is_global": True}, format="json"
    )
    assert response.json()["data"]["is_global"] is True
    assert client_for(bob).get(URL, {"global": "true"}).json()["count"] == 1


def test_the_owner_of_a_shared_list_cannot_change_what_every_trader_sees(
    alice, staff, client_for, alices_list, btc
):
    client_for(staff).patch(
        f"/api/prop-firm/admin/watchlists/{alices_list.pk}/", {"is_global": True}, format="json"
    )
    alices = client_for(alice)
    for response in (
        alices.patch(f"{URL}{alices_list.pk}/", {"name": "Mine"}, format="json"),
        alices.post(f"{URL}{alices_list.pk}/add_asset/", {"asset_id": btc.pk}, format="json"),
        alices.delete(f"{URL}{alices_list.pk}/"),
    ):
        assert (response.status_code, response.json()["code"]) == (409, "WATCHLIST_SHARED")
    assert alices.get(f"{URL}{alices_list.pk}/").json()["name"] == "Tech"
    assert WatchList.objects.filter(pk=alices_list.pk, is_global=True).exists()
