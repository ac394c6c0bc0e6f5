"""Concurrent watchlist creates for one user (PostgreSQL, real threads): the first list
becomes the default exactly once and no request fails on the one-default constraint."""

import threading

import pytest
from django.db import connection

from core.models import WatchList

THREADS = 12
URL = "/api/core/watchlists/"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL (set DATABASE_URL).")


def test_concurrent_first_lists_make_exactly_one_default(alice, client_for):
    clients = [client_for(alice) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def create(i):
        try:
            barrier.wait()
            response = clients[i].post(URL, {"name": f"List {i}"}, format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [201] * THREADS
    assert WatchList.objects.filter(user=alice).count() == THREADS
    assert WatchList.objects.filter(user=alice, is_default=True).count() == 1
