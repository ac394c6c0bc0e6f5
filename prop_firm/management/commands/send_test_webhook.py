"""Sends Stripe-format webhook events about a purchase: duplicated, delayed or reordered.

For demos and manual checks of the webhook's guarantees. Events are signed with the active
gateway's webhook secret (or --secret) exactly as Stripe signs them, and delivered through
the webhook code in-process, or POSTed to --url (a running server).

    manage.py send_test_webhook checkout.session.completed --account PA12345678 --pay
    manage.py send_test_webhook checkout.session.completed --account PA12345678 --times 5
    manage.py send_test_webhook payment_intent.payment_failed checkout.session.completed \
        --account PA12345678 --reverse --delay 2
    manage.py send_test_webhook charge.refunded --account PA12345678 --amount-refunded 10
"""

import time
from decimal import Decimal, InvalidOperation

import requests
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from prop_firm.payments import events
from prop_firm.payments.gateways import gateway_get
from prop_firm.payments.models import LocalSessionStatus, Purchase, WebhookEvent
from prop_firm.payments.services.webhooks import webhook_deliver


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise CommandError(f"Not an amount: {value}") from exc


class Command(BaseCommand):
    help = "Send signed test webhook events about a purchase (duplicated, delayed, reordered)."

    def add_arguments(self, parser):
        parser.add_argument(
            "types", nargs="+", choices=events.SUPPORTED_TYPES, metavar="EVENT_TYPE"
        )
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--account", help="Account number (PA...) of the purchase.")
        who.add_argument("--purchase", type=int, help="Purchase id.")
        parser.add_argument("--times", type=int, default=1, help="Deliver each event N times.")
        parser.add_argument("--delay", type=float, default=0, help="Seconds between sends.")
        order = parser.add_mutually_exclusive_group()
        order.add_argument("--reverse", action="store_true", help="Send in reverse order.")
        order.add_argument(
            "--interleave",
            action="store_true",
            help="With --times: send the copies round-robin instead of back to back.",
        )
        parser.add_argument(
            "--pay",
            action="store_true",
            help="Local gateway: mark the session paid first (as its Pay button does).",
        )
        parser.add_argument("--amount", type=_decimal, help="Session amount in the event.")
        parser.add_argument("--currency", help="Session currency in the event.")
        parser.add_argument("--amount-refunded", type=_decimal, help="charge.refunded amount.")
        parser.add_argument(
            "--dispute-status",
            help="Dispute status (needs_response, warning_needs_response, won, lost...).",
        )
        parser.add_argument("--secret", help="Sign with this secret instead of the gateway's.")
        parser.add_argument(
            "--stale", action="store_true", help="Sign with a timestamp 10 minutes old."
        )
        parser.add_argument("--url", help="POST to this webhook URL instead of in-process.")

    def handle(self, *args, **options):
        purchase = self._purchase(options)
        if options["pay"]:
            self._pay(purchase)
        built = [
            events.event_for(
                event_type,
                purchase,
                amount=options["amount"],
                currency=options["currency"],
                amount_refunded=options["amount_refunded"],
                dispute_status=options["dispute_status"],
            )
            for event_type in options["types"]
        ]
        if options["reverse"]:
            built.reverse()
        times = max(1, options["times"])
        if options["interleave"]:
            sends = [event for _ in range(times) for event in built]
        else:
            sends = [event for event in built for _ in range(times)]
        secret = options["secret"] or gateway_get().webhook_secret()
        for index, event in enumerate(sends):
            if index and options["delay"]:
                time.sleep(options["delay"])
            self._send(event, secret, options)
        purchase.refresh_from_db()
        purchase.account.refresh_from_db()
        self.stdout.write(
            f"Purchase {purchase.pk}: {purchase.status}; account "
            f"{purchase.account.account_number}: {purchase.account.status}"
        )

    def _purchase(self, options) -> Purchase:
        purchases = Purchase.objects.select_related("account", "user", "plan")
        if options["purchase"]:
            purchase = purchases.filter(pk=options["purchase"]).first()
        else:
            purchase = purchases.filter(account__account_number=options["account"]).first()
        if purchase is None:
            raise CommandError("No purchase found for that account or id.")
        return purchase

    def _pay(self, purchase: Purchase) -> None:
        record = getattr(purchase, "local_session", None)
        if record is None:
            raise CommandError("--pay needs a purchase made with the local gateway.")
        with transaction.atomic():
            record.status = LocalSessionStatus.COMPLETE
            record.payment_status = "paid"
            record.save(update_fields=["status", "payment_status"])

    def _send(self, event: dict, secret: str, options) -> None:
        body = events.event_encode(event)
        stamp = int(time.time()) - (600 if options["stale"] else 0)
        signature = events.event_sign(body, secret, timestamp=stamp)
        if options["url"]:
            response = requests.post(
                options["url"],
                data=body.encode(),
                headers={"Content-Type": "application/json", "Stripe-Signature": signature},
                timeout=30,
            )
            self.stdout.write(f"{event['type']} {event['id']}: HTTP {response.status_code}")
            return
        try:
            webhook_deliver(payload=body, signature=signature)
        except Exception as exc:
            self.stdout.write(f"{event['type']} {event['id']}: rejected ({exc})")
            return
        stored = WebhookEvent.objects.get(event_id=event["id"])
        self.stdout.write(
            f"{event['type']} {event['id']}: delivery {stored.deliveries}, "
            f"{stored.outcome} ({stored.outcome_detail})"
        )
