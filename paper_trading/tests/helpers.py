from decimal import Decimal

from django.db.models import Sum

from paper_trading.models import LedgerEntry
from prop_firm.models import PropFirmAccount

TRADES = "/api/paper-trading/trades/"
POSITIONS = "/api/paper-trading/positions/"


def trade_url(trade_id: int, action: str = "") -> str:
    return f"{TRADES}{trade_id}/" + (f"{action}/" if action else "")


def place(api, **order):
    return api.post(TRADES, order, format="json")


def balance(account) -> Decimal:
    return PropFirmAccount.objects.get(pk=account.pk).current_balance


def ledger_sum(account) -> Decimal:
    return LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]


def entries(account, kind=None):
    rows = LedgerEntry.objects.filter(account=account).exclude(kind="DEPOSIT")
    if kind:
        rows = rows.filter(kind=kind)
    return [(e.kind, e.amount) for e in rows.order_by("id")]
