"""The Django admin's pages render for a populated database, in a fixed number of queries
whatever the row count, and only for staff.

The helpers at the top (`populate`, `staff_client`, `form_data`...) are imported by the other
`test_django_admin_*` modules.
"""

from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from prop_firm.models import PropFirmAccount, RuleViolation
from prop_firm.payments.models import LocalCheckoutSession, Purchase, WebhookEvent
from prop_firm.payouts.models import Payout
from prop_firm.payouts.services import payout_request
from prop_firm.payouts.testing import closed_trade, connected_account, funded_account
from prop_firm.tests.factories import (
    PhaseFactory,
    PlanFactory,
    active_account,
    open_position,
    put_quote,
)

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 15
_serial = count(1)


# --------------------------------------------------------------------------------------
# Helpers (imported by the other admin test modules)
# --------------------------------------------------------------------------------------


def staff_client(client, user):
    """`client` logged in as `user` made a superuser: every model permission."""
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    client.force_login(user)
    return client


def trader(name: str = "trader"):
    from account.models import User

    n = next(_serial)
    return User.objects.create_user(email=f"{name}{n}@example.com", name=f"{name} {n}")


def pending_payout(user=None, *, method: str = "bank_transfer", pnl: str = "1000.00") -> Payout:
    """A PENDING payout requested through the service: a funded account 20 days old with
    one winning trade, its profit P withdrawn."""
    user = user or trader()
    if method == "stripe" and not user.stripe_account_id:
        connected_account(user, "acct_1Test")
    start = timezone.now() - timedelta(days=20)
    account = funded_account(user, at=start)
    closed_trade(account, pnl, at=start + timedelta(hours=1))
    details = {} if method == "stripe" else {"iban": "DE89370400440532013000"}
    return payout_request(
        account=account, user=user, payment_method=method, payment_details=details
    )


def paid_purchase(account, *, amount: str = "99.00", paid_at=None) -> Purchase:
    n = next(_serial)
    return Purchase.objects.create(
        user=account.user,
        account=account,
        plan=account.plan,
        gateway="local",
        amount=Decimal(amount),
        currency="usd",
        status="PAID",
        paid_at=paid_at or timezone.now(),
        idempotency_key=f"test-{n}",
        session_id=f"cs_test_{n}",
        success_url="http://localhost:5173/ok",
        cancel_url="http://localhost:5173/cancel",
    )


def violation(account, kind: str = "DAILY_LOSS", at=None) -> RuleViolation:
    return RuleViolation.objects.create(
        account=account,
        violation_type=kind,
        description="Equity below the daily loss floor.",
        threshold_value=Decimal("47500.00"),
        actual_value=Decimal("47400.00"),
        prices={"AAPL": {"bid": "99.00", "ask": "99.02"}},
        occurred_at=at or timezone.now(),
    )


def webhook_event(purchase=None, *, event_type: str = "customer.created", processed=True):
    n = next(_serial)
    return WebhookEvent.objects.create(
        event_id=f"evt_test_{n}",
        type=event_type,
        payload={"id": f"evt_test_{n}", "type": event_type, "data": {"object": {"id": "x"}}},
        purchase=purchase,
        processed_at=timezone.now() if processed else None,
        outcome="IGNORED" if processed else "RECEIVED",
    )


def local_session(purchase) -> LocalCheckoutSession:
    return LocalCheckoutSession.objects.create(
        session_id=purchase.session_id,
        purchase=purchase,
        amount=purchase.amount,
        currency=purchase.currency,
        status="complete",
        payment_status="paid",
        payment_intent_id=f"pi_test_{purchase.pk}",
        customer_email=purchase.user.email,
    )


def populate(rows: int) -> None:
    """`rows` of every prop_firm model, each row with its own trader, plan and account, so
    a missing select_related shows as one query per row."""
    for i in range(rows):
        plan = PlanFactory(name=f"Plan {next(_serial)}")
        PhaseFactory(plan=plan)
        account = active_account(trader(), plan)  # ledger, activities, equity snapshot
        symbol = f"SYM{i % 4}"
        put_quote(symbol, "100.00", "100.02")
        open_position(account, symbol, 10, "99.00")
        violation(account)
        purchase = paid_purchase(account)
        webhook_event(purchase)
        local_session(purchase)
        pending_payout()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


class _FormFields(HTMLParser):
    """What a browser would post for the first <form> with `form_id`: every named input,
    textarea and selected option (submit buttons and unchecked boxes left out)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, []
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or (not attrs.get("name") and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self.data.append((attrs["name"], attrs.get("value", default)))
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.data.append((name, text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_data(html: str, form_id: str, **changes) -> dict:
    """The form as a browser would submit it, with `changes` applied."""
    parser = _FormFields(form_id)
    parser.feed(html)
    data: dict = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [value]
    return data


def changelist_urls() -> list[str]:
    return [
        reverse(f"admin:prop_firm_{model}_changelist")
        for model in (
            "propfirmplan",
            "propfirmaccount",
            "accountactivity",
            "ruleviolation",
            "equitysnapshot",
            "purchase",
            "webhookevent",
            "localcheckoutsession",
            "payout",
        )
    ]


def change_urls() -> list[str]:
    account = PropFirmAccount.objects.filter(purchase__isnull=False).first()
    objects = [
        account,
        account.plan,
        account.activities.first(),
        RuleViolation.objects.first(),
        account.equity_snapshots.first(),
        Purchase.objects.first(),
        WebhookEvent.objects.first(),
        LocalCheckoutSession.objects.first(),
        Payout.objects.first(),
    ]
    return [
        reverse(f"admin:prop_firm_{obj._meta.model_name}_change", args=[obj.pk]) for obj in objects
    ]


@pytest.fixture
def admin(client, staff):
    return staff_client(client, staff)


# --------------------------------------------------------------------------------------
# Pages and their query counts
# --------------------------------------------------------------------------------------


def test_every_changelist_takes_the_same_queries_for_3_and_30_rows(admin):
    populate(3)
    few = {url: queries_for(admin, url) for url in changelist_urls()}
    populate(27)
    many = {url: queries_for(admin, url) for url in changelist_urls()}

    assert many == few
    assert max(many.values()) <= QUERY_BUDGET, many


def test_each_changelist_stays_within_the_budget(admin, django_assert_max_num_queries):
    populate(3)
    for url in changelist_urls():
        with django_assert_max_num_queries(QUERY_BUDGET):
            assert admin.get(url).status_code == 200


def test_the_changelists_search_and_filter(admin):
    populate(2)
    account = PropFirmAccount.objects.filter(activated_at__isnull=False).first()
    url = reverse("admin:prop_firm_propfirmaccount_changelist")

    found = admin.get(url, {"q": account.account_number})
    assert found.status_code == 200
    assert found.context["cl"].result_count == 1
    for params in (
        {"status__exact": "live"},
        {"status__exact": "ACTIVE"},
        {"stage__exact": "FUNDED"},
    ):
        assert admin.get(url, params).status_code == 200
    for url in changelist_urls():
        assert admin.get(url, {"q": "nothing-matches-this"}).status_code == 200


def test_the_account_list_shows_balance_equity_floors_and_open_positions(admin, alice):
    account = active_account(alice, PlanFactory())
    put_quote("AAPL", "100.00", "100.02")
    open_position(account, "AAPL", 1, "99.00")

    response = admin.get(reverse("admin:prop_firm_propfirmaccount_changelist"))

    assert [a._open for a in response.context["cl"].result_list] == [1]
    text = response.content.decode()
    assert account.account_number in text
    assert "50,000.00" in text  # B and E
    assert "47,500.00" in text  # daily loss floor: SOD_B − 2,500
    assert "45,000.00" in text  # max loss floor: B0 − 5,000


def test_every_change_form_renders(admin):
    populate(2)
    for url in change_urls():
        response = admin.get(url)
        assert response.status_code == 200, url


def test_the_account_page_takes_the_same_queries_for_3_and_30_inline_rows(admin, alice):
    account = active_account(alice, PlanFactory())
    put_quote("AAPL", "100.00", "100.02")
    url = reverse("admin:prop_firm_propfirmaccount_change", args=[account.pk])

    def add_rows(n):
        for _ in range(n):
            open_position(account, "AAPL", 1, "99.00")
            violation_free_activity(account)

    add_rows(3)
    queries_for(admin, url)  # warm the process-wide caches (content types, admin URLs)
    few = queries_for(admin, url)
    add_rows(27)
    many = queries_for(admin, url)

    assert many == few
    assert many <= 25


def violation_free_activity(account):
    from prop_firm.services.lifecycle import activity_record

    activity_record(account=account, kind="NOTE", message="A note.", actor=account.user)


def test_the_account_page_shows_live_figures_and_links_to_its_records(admin, alice):
    account = active_account(alice, PlanFactory())

    response = admin.get(reverse("admin:prop_firm_propfirmaccount_change", args=[account.pk]))

    text = response.content.decode()
    assert "Room to the daily floor" in text
    assert "2,500.00" in text  # the room: E − F_d
    assert f"?account__id__exact={account.pk}" in text
    assert reverse("admin:paper_trading_trade_changelist") in text


# --------------------------------------------------------------------------------------
# Staff only
# --------------------------------------------------------------------------------------


def _every_admin_page() -> list[str]:
    return [
        reverse("admin:index"),
        reverse("admin:prop_firm_dashboard"),
        reverse("admin:app_list", args=["prop_firm"]),
        reverse("admin:prop_firm_propfirmplan_add"),
        *changelist_urls(),
        *change_urls(),
    ]


@pytest.mark.parametrize("who", ["anonymous", "trader"])
def test_non_staff_are_sent_to_the_login_page_from_every_admin_page(client, alice, who):
    populate(1)
    if who == "trader":
        client.force_login(alice)

    for url in _every_admin_page():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_a_staff_member_without_permissions_sees_no_model_page(client, staff):
    populate(1)
    client.force_login(staff)  # is_staff, no model permission

    for url in [*changelist_urls(), *change_urls()]:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("state", ["pending", "failed", "unquoted position"])
def test_the_account_page_renders_in_every_state(admin, alice, staff, state):
    from prop_firm.services.lifecycle import account_create_pending, account_fail

    plan = PlanFactory()
    if state == "pending":
        account = account_create_pending(user=alice, plan=plan)
    else:
        account = active_account(alice, plan)
        if state == "failed":
            account_fail(account=account, reason="Copy trading", actor=staff)
        else:
            open_position(account, "NOQUOTE", 3, "10.00")

    response = admin.get(reverse("admin:prop_firm_propfirmaccount_change", args=[account.pk]))

    assert response.status_code == 200
