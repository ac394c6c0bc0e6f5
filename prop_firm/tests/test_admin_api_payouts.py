"""Staff payout endpoints: approve (Stripe Connect transfer, stubbed at the HTTP level with
`responses`, or manual), complete, reject, notes; and the transfer webhooks."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import requests
import responses
import stripe
import time_machine
from django.core import mail

from prop_firm.models import AccountActivity, PropFirmAccount
from prop_firm.payouts import services
from prop_firm.payouts.models import ConnectedAccount, Payout
from prop_firm.payouts.testing import (
    closed_trade,
    connected_account,
    forced_client,
    funded_account,
    ledger_total,
)

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=15)
URL = "/api/prop-firm/admin/payouts/"
TRANSFERS = "https://api.stripe.com/v1/transfers"
DESTINATION = "acct_1NtraderAlice"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_payouts"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with time_machine.travel(LATER, tick=False):
        yield


@pytest.fixture
def account(alice):
    """B0 = 100,000.00, +1,000.00 of profit: P = 1,000.00, alice's share (80%) 800.00."""
    connected_account(alice, DESTINATION)
    account = funded_account(alice, at=T0)
    closed_trade(account, "1000.00", at=T0 + timedelta(hours=1))
    return account


def _payout(user, account, method="stripe") -> Payout:
    details = {} if method == "stripe" else {"iban": "DE89370400440532013000"}
    return services.payout_request(
        account=account, user=user, payment_method=method, payment_details=details
    )


@pytest.fixture
def payout(alice, account):
    return _payout(alice, account)


def _transfer(payout_id: int, transfer_id="tr_1OpayoutTransfer", amount=80000, **extra) -> dict:
    """Stripe's transfer object, as the API answers it."""
    body = {
        "id": transfer_id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": "txn_1OpayoutBalance",
        "created": 1742310000,
        "currency": "usd",
        "description": f"Payout #{payout_id}",
        "destination": DESTINATION,
        "destination_payment": "py_1OpayoutDestination",
        "livemode": False,
        "metadata": {"payout_id": str(payout_id), "attempt": "1"},
        "reversals": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/transfers/{transfer_id}/reversals",
        },
        "reversed": False,
        "source_transaction": None,
        "source_type": "card",
        "transfer_group": f"payout-{payout_id}",
    }
    body.update(extra)
    return body


INSUFFICIENT_FUNDS = {
    "error": {
        "code": "balance_insufficient",
        "doc_url": "https://stripe.com/docs/error-codes/balance-insufficient",
        "message": "You have insufficient available funds in your Stripe account.",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_1Opayout",
        "type": "invalid_request_error",
    }
}


def _approve(staff, payout):
    return forced_client(staff).post(f"{URL}{payout.pk}/approve/")


def _form(call) -> dict:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


@responses.activate
def test_approving_a_stripe_payout_transfers_the_traders_share(
    staff, payout, django_capture_on_commit_callbacks
):
    responses.post(TRANSFERS, json=_transfer(payout.pk))

    with django_capture_on_commit_callbacks(execute=True):
        response = _approve(staff, payout)

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["status"] == "COMPLETED"
    assert data["stripe_transfer_id"] == "tr_1OpayoutTransfer"
    assert data["reviewer"] == "staff@example.com"
    assert data["completed_at"] is not None
    call = responses.calls[0]
    assert call.request.headers["Idempotency-Key"] == f"payout-{payout.pk}"
    form = _form(call)
    assert form["amount"] == "80000"  # 800.00 in cents: the trader's share, not P
    assert form["currency"] == "usd"
    assert form["destination"] == DESTINATION
    assert form["metadata[payout_id]"] == str(payout.pk)
    kinds = list(
        AccountActivity.objects.filter(account=payout.account, kind__startswith="PAYOUT")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["PAYOUT_REQUESTED", "PAYOUT_APPROVED", "PAYOUT_COMPLETED"]
    assert [m.subject for m in mail.outbox] == [
        f"Payout #{payout.pk} approved",
        f"Payout #{payout.pk} paid: $800.00",
    ]
    account = payout.account
    account.refresh_from_db()
    assert account.current_balance == Decimal("100000.00")
    assert ledger_total(account) == account.current_balance


@responses.activate
def test_a_stripe_error_leaves_the_payout_failed_and_p_withdrawn(staff, payout):
    responses.post(TRANSFERS, status=400, json=INSUFFICIENT_FUNDS)

    response = _approve(staff, payout)

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "FAILED"
    assert data["failure_code"] == "balance_insufficient"
    assert data["failure_message"] == INSUFFICIENT_FUNDS["error"]["message"]
    assert "insufficient available funds" in response.json()["msg"]
    account = payout.account
    account.refresh_from_db()
    assert account.current_balance == Decimal("100000.00")  # no credit back without a decision
    assert not account.ledger_entries.filter(kind="PAYOUT_REVERSAL").exists()
    assert AccountActivity.objects.filter(account=account, kind="PAYOUT_FAILED").count() == 1


@responses.activate
def test_a_failed_payout_can_be_approved_again_with_a_new_idempotency_key(staff, payout):
    responses.post(TRANSFERS, status=400, json=INSUFFICIENT_FUNDS)
    _approve(staff, payout)
    responses.replace(responses.POST, TRANSFERS, json=_transfer(payout.pk))

    response = _approve(staff, payout)

    assert response.json()["data"]["status"] == "COMPLETED"
    keys = [call.request.headers["Idempotency-Key"] for call in responses.calls]
    assert keys == [f"payout-{payout.pk}", f"payout-{payout.pk}-2"]


@responses.activate
def test_an_unreachable_stripe_keeps_the_payout_processing_and_retries_with_the_same_key(
    staff, payout
):
    responses.post(TRANSFERS, body=requests.ConnectionError("connection reset"))

    response = _approve(staff, payout)

    assert response.status_code == 503
    assert response.json()["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    payout.refresh_from_db()
    assert payout.status == "PROCESSING"

    responses.replace(responses.POST, TRANSFERS, json=_transfer(payout.pk))
    assert _approve(staff, payout).json()["data"]["status"] == "COMPLETED"
    keys = {call.request.headers["Idempotency-Key"] for call in responses.calls}
    assert keys == {f"payout-{payout.pk}"}


@responses.activate
def test_rejecting_a_failed_payout_credits_p_back(
    staff, payout, django_capture_on_commit_callbacks
):
    responses.post(TRANSFERS, status=400, json=INSUFFICIENT_FUNDS)
    _approve(staff, payout)

    with django_capture_on_commit_callbacks(execute=True):
        response = forced_client(staff).post(
            f"{URL}{payout.pk}/reject/", {"reason": "Stripe account cannot receive funds."}
        )

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "REJECTED"
    account = payout.account
    account.refresh_from_db()
    assert account.current_balance == Decimal("101000.00")
    assert ledger_total(account) == account.current_balance


def test_a_stripe_payout_needs_the_traders_connected_account(alice, staff, payout):
    alice.stripe_account_id = ""
    alice.save(update_fields=["stripe_account_id"])

    response = _approve(staff, payout)

    assert response.status_code == 409
    assert response.json()["code"] == "STRIPE_ACCOUNT_MISSING"
    payout.refresh_from_db()
    assert payout.status == "PENDING"


@responses.activate
def test_a_stripe_payout_is_never_sent_to_an_account_id_typed_in_after_the_request(
    alice, staff, payout
):
    """The destination is the trader's own onboarded account, judged at approval: an id
    staff typed into the profile since is refused before Stripe is called."""
    alice.stripe_account_id = "acct_typed_by_hand"
    alice.save(update_fields=["stripe_account_id"])

    response = _approve(staff, payout)

    assert (response.status_code, response.json()["code"]) == (409, "STRIPE_PAYOUTS_NOT_ENABLED")
    assert len(responses.calls) == 0
    payout.refresh_from_db()
    assert payout.status == "PENDING"


@responses.activate
def test_a_stripe_payout_waits_for_stripe_to_enable_the_accounts_payouts(alice, staff, payout):
    ConnectedAccount.objects.filter(user=alice).update(payouts_enabled=False)

    response = _approve(staff, payout)

    assert (response.status_code, response.json()["code"]) == (409, "STRIPE_PAYOUTS_NOT_ENABLED")
    assert "finish onboarding" in response.json()["msg"]
    assert len(responses.calls) == 0


def test_a_payout_of_a_suspended_account_is_not_approved(staff, payout):
    account = payout.account
    account.status = "SUSPENDED"
    account.save(update_fields=["status"])

    response = _approve(staff, payout)

    assert response.status_code == 409
    assert response.json()["code"] == "PAYOUT_ACCOUNT_NOT_ACTIVE"


def _suspend(account):
    account.status = "SUSPENDED"
    account.save(update_fields=["status"])


def _transfer_list(*transfers) -> dict:
    """`GET /v1/transfers` as Stripe answers it."""
    return {"object": "list", "data": list(transfers), "has_more": False, "url": "/v1/transfers"}


def _stuck_processing(staff, payout):
    """Approved, then the network failed (outcome unknown), then the account was suspended."""
    responses.post(TRANSFERS, body=requests.ConnectionError("connection reset"))
    assert _approve(staff, payout).status_code == 503
    _suspend(payout.account)


def _transfer_posts() -> int:
    return sum(1 for call in responses.calls if call.request.method == "POST")


@responses.activate
def test_approving_again_completes_a_processing_payout_of_a_suspended_account_whose_transfer_exists(
    staff, payout
):
    _stuck_processing(staff, payout)
    responses.get(
        TRANSFERS,
        json=_transfer_list(_transfer(payout.pk)),
        match=[
            responses.matchers.query_param_matcher(
                {"transfer_group": f"payout-{payout.pk}"}, strict_match=False
            )
        ],
    )

    response = _approve(staff, payout)

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["status"] == "COMPLETED"
    assert data["stripe_transfer_id"] == "tr_1OpayoutTransfer"
    assert _transfer_posts() == 1  # looked up, never sent again


@responses.activate
def test_approving_again_fails_a_processing_payout_of_a_suspended_account_without_a_transfer(
    staff, payout
):
    _stuck_processing(staff, payout)
    responses.get(TRANSFERS, json=_transfer_list())

    response = _approve(staff, payout)

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["status"] == "FAILED"
    assert data["failure_code"] == "transfer_not_found"
    assert "suspended" in data["failure_message"]
    assert _transfer_posts() == 1  # nothing new paid to a suspended account


@responses.activate
def test_a_processing_payout_of_a_suspended_account_is_rejected_once_stripe_has_no_transfer(
    staff, payout
):
    _stuck_processing(staff, payout)
    responses.get(TRANSFERS, json=_transfer_list())
    _approve(staff, payout)

    response = forced_client(staff).post(
        f"{URL}{payout.pk}/reject/", {"reason": "Account suspended after a chargeback."}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["data"]["status"] == "REJECTED"
    account = payout.account
    account.refresh_from_db()
    assert account.current_balance == Decimal("101000.00")
    assert ledger_total(account) == account.current_balance


@responses.activate
def test_a_transfer_of_another_attempt_does_not_complete_a_processing_payout(staff, payout):
    _stuck_processing(staff, payout)
    other = _transfer(payout.pk, metadata={"payout_id": str(payout.pk), "attempt": "2"})
    responses.get(TRANSFERS, json=_transfer_list(other))

    assert _approve(staff, payout).json()["data"]["status"] == "FAILED"


@responses.activate
def test_approving_again_retries_a_processing_payout_with_the_same_key_after_a_stripe_error(
    staff, payout
):
    responses.post(TRANSFERS, body=requests.ConnectionError("connection reset"))
    _approve(staff, payout)
    responses.replace(responses.POST, TRANSFERS, status=400, json=INSUFFICIENT_FUNDS)

    response = _approve(staff, payout)

    assert response.json()["data"]["status"] == "FAILED"
    keys = {call.request.headers["Idempotency-Key"] for call in responses.calls}
    assert keys == {f"payout-{payout.pk}"}


@responses.activate
def test_an_unreachable_stripe_keeps_a_suspended_accounts_processing_payout_in_progress(
    staff, payout
):
    _stuck_processing(staff, payout)
    responses.get(TRANSFERS, body=requests.ConnectionError("connection reset"))

    response = _approve(staff, payout)

    assert response.status_code == 503
    payout.refresh_from_db()
    assert payout.status == "PROCESSING"


@responses.activate
def test_rejecting_a_processing_payout_tells_staff_to_approve_it_again(staff, payout):
    responses.post(TRANSFERS, body=requests.ConnectionError("connection reset"))
    _approve(staff, payout)

    response = forced_client(staff).post(f"{URL}{payout.pk}/reject/", {"reason": "Stuck."})

    assert response.status_code == 409
    assert "Approve it again" in response.json()["msg"]


def test_a_failed_payout_of_a_suspended_account_is_not_sent_again(staff, payout):
    payout.status = "FAILED"
    payout.transfer_attempt = 1
    payout.save(update_fields=["status", "transfer_attempt"])
    _suspend(payout.account)

    response = _approve(staff, payout)

    assert response.status_code == 409
    assert response.json()["code"] == "PAYOUT_ACCOUNT_NOT_ACTIVE"
    assert "Reject it" in response.json()["msg"]


def test_an_approved_manual_payout_of_a_suspended_account_is_not_marked_paid(alice, staff, account):
    payout = _payout(alice, account, method="bank_transfer")
    services.payout_approve(payout=payout, actor=staff)
    _suspend(account)

    response = forced_client(staff).post(f"{URL}{payout.pk}/complete/", {"reference": "SEPA-1"})

    assert response.status_code == 409
    assert response.json()["code"] == "PAYOUT_ACCOUNT_NOT_ACTIVE"
    assert "suspended" in response.json()["msg"]
    payout.refresh_from_db()
    assert payout.status == "PROCESSING"
    assert (
        forced_client(staff)
        .post(f"{URL}{payout.pk}/reject/", {"reason": "Chargeback."})
        .json()["data"]["status"]
        == "REJECTED"
    )


def test_a_manual_payout_is_approved_then_completed_with_its_reference(
    alice, staff, account, django_capture_on_commit_callbacks
):
    payout = _payout(alice, account, method="bank_transfer")
    client = forced_client(staff)

    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(f"{URL}{payout.pk}/approve/")
        completed = client.post(f"{URL}{payout.pk}/complete/", {"reference": "SEPA-2025-0042"})

    # PROCESSING: the money is being sent by hand, and the web app shows "Complete".
    assert approved.json()["data"]["status"] == "PROCESSING"
    assert completed.status_code == 200
    data = completed.json()["data"]
    assert data["status"] == "COMPLETED"
    assert data["reference"] == "SEPA-2025-0042"
    assert [m.subject for m in mail.outbox] == [
        f"Payout #{payout.pk} approved",
        f"Payout #{payout.pk} paid: $800.00",
    ]
    assert "SEPA-2025-0042" in mail.outbox[-1].body


def test_a_manual_payout_is_not_completed_before_approval(alice, staff, account):
    payout = _payout(alice, account, method="crypto")

    response = forced_client(staff).post(f"{URL}{payout.pk}/complete/", {"reference": "0xabc"})

    assert response.status_code == 409


def test_completing_without_a_body_is_accepted_as_the_web_app_sends_it(alice, staff, account):
    payout = _payout(alice, account, method="crypto")
    services.payout_approve(payout=payout, actor=staff)

    response = forced_client(staff).post(f"{URL}{payout.pk}/complete/")

    assert response.status_code == 200
    assert (response.json()["data"]["status"], response.json()["data"]["reference"]) == (
        "COMPLETED",
        "",
    )
    last = payout.account.activities.order_by("-id").first()
    assert "no reference given" in last.message


def test_a_manual_payout_being_paid_can_still_be_rejected(alice, staff, account):
    payout = _payout(alice, account, method="paypal")
    services.payout_approve(payout=payout, actor=staff)
    balance = PropFirmAccount.objects.get(pk=account.pk).current_balance

    response = forced_client(staff).post(f"{URL}{payout.pk}/reject/", {"reason": "Wrong email."})

    assert (response.status_code, response.json()["data"]["status"]) == (200, "REJECTED")
    assert response.json()["data"]["rejection_reason"] == "Wrong email."
    assert PropFirmAccount.objects.get(pk=account.pk).current_balance == balance + payout.amount


def test_staff_notes_are_patched_under_the_web_apps_name(alice, staff, account):
    payout = _payout(alice, account, method="bank_transfer")

    response = forced_client(staff).patch(
        f"{URL}{payout.pk}/", {"notes": "Called the trader."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["notes"] == "Called the trader."
    assert response.json()["data"]["admin_notes"] == "Called the trader."
    row = forced_client(staff).get(URL).json()["results"][0]
    assert (row["notes"], row["user_email"], row["profit_earned"]) == (
        "Called the trader.",
        alice.email,
        str(payout.amount),
    )


def test_rejecting_credits_p_back_and_tells_the_trader_why(
    staff, payout, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = forced_client(staff).post(
            f"{URL}{payout.pk}/reject/", {"reason": "Trading during news is not allowed."}
        )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "REJECTED"
    assert data["reason"] == "Trading during news is not allowed."
    account = payout.account
    account.refresh_from_db()
    assert account.current_balance == Decimal("101000.00")
    reversal = account.ledger_entries.get(kind="PAYOUT_REVERSAL")
    assert reversal.amount == Decimal("1000.00")
    assert ledger_total(account) == account.current_balance
    assert mail.outbox[-1].subject == f"Payout #{payout.pk} rejected"
    assert "Trading during news is not allowed." in mail.outbox[-1].body


def test_rejecting_needs_a_reason(staff, payout):
    response = forced_client(staff).post(f"{URL}{payout.pk}/reject/", {"reason": ""})

    assert response.status_code == 400
    payout.refresh_from_db()
    assert payout.status == "PENDING"


@responses.activate
def test_a_paid_payout_cannot_be_rejected(staff, payout):
    responses.post(TRANSFERS, json=_transfer(payout.pk))
    _approve(staff, payout)

    response = forced_client(staff).post(f"{URL}{payout.pk}/reject/", {"reason": "Too late."})

    assert response.status_code == 409
    account = payout.account
    account.refresh_from_db()
    assert account.current_balance == Decimal("100000.00")


def test_staff_notes_are_patched_and_audited(staff, payout):
    response = forced_client(staff).patch(
        f"{URL}{payout.pk}/", {"admin_notes": "KYC checked."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["admin_notes"] == "KYC checked."
    assert AccountActivity.objects.filter(account=payout.account, kind="PAYOUT_NOTE").exists()


def test_the_list_filters_and_takes_a_fixed_number_of_queries(
    alice, bob, staff, payout, django_assert_num_queries
):
    for user in (alice, bob):
        other = funded_account(user, at=T0)
        closed_trade(other, "500.00", at=T0 + timedelta(hours=1))
        _payout(user, other, method="crypto")
    client = forced_client(staff)

    with django_assert_num_queries(2):  # count, page (payouts joined to account, user, plan)
        body = client.get(URL).json()

    assert body["count"] == 3
    assert client.get(URL, {"payment_method": "stripe"}).json()["count"] == 1
    assert client.get(URL, {"search": "bob@"}).json()["count"] == 1
    assert client.get(URL, {"status": "PENDING", "user_id": alice.pk}).json()["count"] == 2
    assert body["results"][0]["user"]["email"] in {"alice@example.com", "bob@example.com"}


# --------------------------------------------------------------------------------------
# Webhooks
# --------------------------------------------------------------------------------------


def _event(kind: str, transfer: dict) -> stripe.Event:
    return stripe.Event.construct_from(
        {"id": "evt_1Opayout", "object": "event", "type": kind, "data": {"object": transfer}},
        "sk_test_payouts",
    )


@responses.activate
def test_transfer_created_completes_a_payout_whose_answer_was_lost(staff, payout):
    responses.post(TRANSFERS, body=requests.ConnectionError("timed out"))
    _approve(staff, payout)  # 503: the transfer may exist

    services.payout_transfer_created(_event("transfer.created", _transfer(payout.pk)))
    services.payout_transfer_created(_event("transfer.created", _transfer(payout.pk)))

    payout.refresh_from_db()
    assert payout.status == "COMPLETED"
    assert payout.stripe_transfer_id == "tr_1OpayoutTransfer"
    assert (
        AccountActivity.objects.filter(account=payout.account, kind="PAYOUT_COMPLETED").count() == 1
    )


@responses.activate
def test_transfer_reversed_fails_a_paid_payout_without_crediting_p(staff, payout):
    responses.post(TRANSFERS, json=_transfer(payout.pk))
    _approve(staff, payout)
    reversed_transfer = _transfer(payout.pk, amount_reversed=80000, reversed=True)

    services.payout_transfer_reversed(
        json.loads(json.dumps(_event("transfer.reversed", reversed_transfer).to_dict()))
    )

    payout.refresh_from_db()
    assert payout.status == "FAILED"
    assert payout.failure_code == "transfer_reversed"
    account = payout.account
    account.refresh_from_db()
    assert account.current_balance == Decimal("100000.00")


@responses.activate
def test_the_handlers_also_take_the_bare_transfer_object(staff, payout):
    responses.post(TRANSFERS, body=requests.ConnectionError("timed out"))
    _approve(staff, payout)

    services.payout_transfer_created(_transfer(payout.pk))

    payout.refresh_from_db()
    assert payout.status == "COMPLETED"


def test_an_unknown_transfer_is_ignored(payout):
    transfer = _transfer(payout.pk, metadata={})
    transfer["id"] = "tr_unknown"

    assert services.payout_transfer_created(_event("transfer.created", transfer)) is None
    payout.refresh_from_db()
    assert payout.status == "PENDING"


@responses.activate
def test_a_funded_trader_is_paid_once_end_to_end(alice, staff, account):
    responses.post(TRANSFERS, json=_transfer(1))
    trader, admin = forced_client(alice), forced_client(staff)
    eligibility = trader.get(f"/api/prop-firm/accounts/{account.pk}/payout_eligibility/")
    assert eligibility.json()["data"]["eligible"] is True

    requested = trader.post(
        "/api/prop-firm/payouts/request_payout/",
        {"account_id": account.pk, "payment_method": "stripe", "payment_details": {}},
        format="json",
    )
    payout_id = requested.json()["data"]["id"]
    again = trader.post(
        "/api/prop-firm/payouts/request_payout/",
        {"account_id": account.pk, "payment_method": "stripe", "payment_details": {}},
        format="json",
    )
    approved = admin.post(f"{URL}{payout_id}/approve/")
    listed = trader.get("/api/prop-firm/payouts/").json()

    assert requested.status_code == 201
    assert again.status_code == 409
    assert approved.json()["data"]["status"] == "COMPLETED"
    assert [(p["id"], p["status"]) for p in listed["data"]] == [(payout_id, "COMPLETED")]
    assert len(responses.calls) == 1
    account.refresh_from_db()
    entries = list(
        account.ledger_entries.order_by("id").values_list("kind", "amount", "balance_after")
    )
    assert entries == [
        ("DEPOSIT", Decimal("100000.00"), Decimal("100000.00")),
        ("REALIZED_PNL", Decimal("1000.00"), Decimal("101000.00")),
        ("PAYOUT", Decimal("-1000.00"), Decimal("100000.00")),
    ]
    assert ledger_total(account) == account.current_balance == Decimal("100000.00")


@responses.activate
def test_a_signed_transfer_created_webhook_completes_the_payout(client, settings, staff, payout):
    from prop_firm.payments.models import WebhookEvent
    from prop_firm.tests.payments_factories import WEBHOOK_SECRET, deliver, event

    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    responses.post(TRANSFERS, body=requests.ConnectionError("timed out"))
    _approve(staff, payout)  # 503: the transfer may exist
    payload = event("transfer.created", _transfer(payout.pk))

    assert deliver(client, payload).status_code == 200
    assert deliver(client, payload).status_code == 200  # Stripe retries: processed once

    payout.refresh_from_db()
    assert payout.status == "COMPLETED"
    stored = WebhookEvent.objects.get(event_id=payload["id"])
    assert (stored.outcome, stored.deliveries) == ("PROCESSED", 2)
