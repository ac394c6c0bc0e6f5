"""In a real browser: a staff member logs in to the Django admin and approves a payout.

Headless Chromium (Debian's `chromium`) driven by Playwright's sync API against
pytest-django's `live_server`. Playwright's sync API runs an event loop in this thread, so
Django's async-safety guard is lifted for this module (the ORM is called from the test only
between browser steps, never concurrently).
"""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from prop_firm.payouts.models import Payout
from prop_firm.tests.test_django_admin import pending_payout

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "Str0ng-Passw0rd!"  # the root conftest's personas' password

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason=f"{CHROMIUM} is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def browser_page():
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()
            # While the sync API runs, the ORM is handed another database connection
            # (Django's connections are per context, and Playwright switches contexts),
            # which pytest-django does not close: left open, it stops the test database
            # from being dropped on PostgreSQL ("being accessed by other users").
            connections.close_all()


def test_a_staff_member_approves_a_bank_transfer_payout(live_server, browser_page, staff, alice):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    payout = pending_payout(alice, method="bank_transfer")
    page = browser_page

    page.goto(f"{live_server.url}{reverse('admin:prop_firm_payout_changelist')}")
    assert reverse("admin:login") in page.url  # sent to log in first
    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.wait_for_selector("#result_list")
    page.check(f'input[name="_selected_action"][value="{payout.pk}"]')
    page.select_option('select[name="action"]', "approve_payouts")
    page.click('button[name="index"]')

    success = page.wait_for_selector(".messagelist .success")
    assert "1 payout approved" in success.inner_text()
    payout = Payout.objects.get(pk=payout.pk)
    assert payout.status == "PROCESSING"
    assert payout.reviewer == staff


def test_the_dashboard_renders_its_charts_in_the_browser(live_server, browser_page, staff):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    page = browser_page

    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.click("#prop-firm-dashboard-link a")

    page.wait_for_selector("#pf-exposure svg")
    assert page.locator("svg.pf-chart").count() >= 7
    # The stylesheet is served locally and applied (the grid layout comes from it). The
    # charts are in the HTML, so they can be found before the stylesheet has loaded: wait
    # for the page's load event, which waits for its stylesheets (CI saw 'block' once).
    page.wait_for_load_state("load")
    assert page.eval_on_selector(".pf-grid", "e => getComputedStyle(e).display") == "grid"
