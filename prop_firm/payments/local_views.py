"""The local gateway's checkout page: the plan and price, with Pay, Decline and Cancel.

Reached by the session's unguessable id (like Stripe's hosted page), not by login: the
browser comes here from the web app with no session cookie.
"""

from pathlib import Path

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.template import Context, Engine
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from alpacabackend.api.errors import NotFound
from prop_firm.payments.gateways.stripe_gateway import with_session_id
from prop_firm.payments.models import LocalSessionStatus
from prop_firm.payments.services import local

# The page's template lives in this package (not an app's templates/ dir): its own engine.
_ENGINE = Engine(dirs=[str(Path(__file__).resolve().parent / "templates")])


def _render(request, name: str, context: dict) -> HttpResponse:
    context = {**context, "csrf_token": get_token(request)}
    return HttpResponse(_ENGINE.get_template(name).render(Context(context)))


def _record(session_id: str):
    try:
        return local.local_session_get(session_id=session_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _page_url(session_id: str) -> str:
    return reverse("payments_local:checkout", args=[session_id])


def _success_url(record) -> str:
    url = with_session_id(record.purchase.success_url)
    return url.replace("{CHECKOUT_SESSION_ID}", record.session_id)


@require_GET
def checkout_page(request, session_id: str):
    record = _record(session_id)
    return _render(
        request,
        "payments/local_checkout.html",
        {
            "record": record,
            "purchase": record.purchase,
            "plan": record.purchase.plan,
            "declined": request.GET.get("declined") == "1",
            "is_open": record.status == LocalSessionStatus.OPEN,
            "success_url": _success_url(record),
        },
    )


@require_POST
def checkout_pay(request, session_id: str):
    record = _record(session_id)
    record = local.local_session_pay(session_id=record.session_id)
    if record.status == LocalSessionStatus.COMPLETE:
        return HttpResponseRedirect(_success_url(record))
    return HttpResponseRedirect(_page_url(record.session_id))


@require_POST
def checkout_decline(request, session_id: str):
    record = _record(session_id)
    local.local_session_decline(session_id=record.session_id)
    return HttpResponseRedirect(f"{_page_url(record.session_id)}?declined=1")


@require_POST
def checkout_cancel(request, session_id: str):
    record = _record(session_id)
    return HttpResponseRedirect(record.purchase.cancel_url)


# --------------------------------------------------------------------------------------
# Connect onboarding (the local stand-in for Stripe's hosted onboarding)
# --------------------------------------------------------------------------------------


def _connect_record(token: str):
    """The link's account, or the redirect Stripe makes for an expired link."""
    try:
        return local.local_connect_account_get(token=token), None
    except local.AccountLinkExpired as exc:
        if not exc.refresh_url:
            raise Http404("This onboarding link has expired.") from exc
        return None, HttpResponseRedirect(exc.refresh_url)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
def connect_page(request, token: str):
    record, redirect = _connect_record(token)
    if redirect is not None:
        return redirect
    return _render(request, "payments/local_connect.html", {"record": record})


@require_POST
def connect_submit(request, token: str):
    record, redirect = _connect_record(token)
    if redirect is not None:
        return redirect
    record = local.local_connect_submit(
        account_id=record.account_id, bank_account=request.POST.get("bank_account") == "1"
    )
    return HttpResponseRedirect(record.return_url or _connect_page_url(token))


def _connect_page_url(token: str) -> str:
    return reverse("payments_local:connect", args=[token])
