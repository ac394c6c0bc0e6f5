"""The trader's payout endpoints (API.md "prop_firm"): eligibility, request, list, cancel.

Another user's account or payout answers 404, as if it did not exist.
"""

from datetime import UTC, datetime

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from alpacabackend.api.errors import NotFound
from alpacabackend.api.pagination import WrappedListPagination, wrapped_list_schema
from alpacabackend.api.responses import wrapped, wrapped_schema
from alpacabackend.api.throttles import ScopedUserRateThrottle
from prop_firm.payouts import connect, selectors, services
from prop_firm.payouts.api import serializers as s
from prop_firm.selectors import account_of_user


def _payout_or_404(user, payout_id: int):
    payout = selectors.payout_get(user=user, payout_id=payout_id)
    if payout is None:
        raise NotFound("Payout not found.", code="PAYOUT_NOT_FOUND")
    return payout


def _eligibility_data(eligibility) -> dict:
    return {
        "eligible": eligibility.eligible,
        "checks": [
            {"rule": c.rule, "label": c.label, "ok": c.ok, "detail": c.detail}
            for c in eligibility.checks
        ],
        "profit": eligibility.profit,
        "trader_share": eligibility.trader_share,
        "next_eligible_at": eligibility.next_eligible_at,
    }


class PayoutEligibilityView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="prop_firm_accounts_payout_eligibility",
        parameters=[s.EligibilityQuery],
        responses=wrapped_schema("PayoutEligibilityResponse", s.EligibilityOutput()),
    )
    def get(self, request, account_id: int):
        query = s.EligibilityQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        account = account_of_user(user=request.user, account_id=account_id)
        eligibility = selectors.payout_eligibility(
            account=account, payment_method=query.validated_data.get("payment_method")
        )
        msg = (
            "The account is eligible for a payout."
            if eligibility.eligible
            else "The account is not eligible for a payout yet."
        )
        return wrapped(s.EligibilityOutput(_eligibility_data(eligibility)).data, msg)


class PayoutListView(APIView):
    permission_classes = [IsAuthenticated]

    class Pagination(WrappedListPagination):
        msg = "Payouts retrieved."

    @extend_schema(
        operation_id="prop_firm_payouts_list",
        parameters=[s.PayoutListQuery],
        responses=wrapped_list_schema("PayoutListResponse", s.PayoutOutput),
    )
    def get(self, request):
        query = s.PayoutListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        payouts = selectors.payout_list(user=request.user, **query.validated_data)
        paginator = self.Pagination()
        page = paginator.paginate_queryset(payouts, request, view=self)
        return paginator.get_paginated_response(s.PayoutOutput(page, many=True).data)


class PayoutRequestView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="prop_firm_payouts_request",
        request=s.PayoutRequestInput,
        responses={201: wrapped_schema("PayoutRequestResponse", s.PayoutOutput())},
    )
    def post(self, request):
        data = s.PayoutRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        account = account_of_user(user=request.user, account_id=data.validated_data["account_id"])
        payout = services.payout_request(
            account=account,
            user=request.user,
            payment_method=data.validated_data["payment_method"],
            payment_details=data.validated_data["payment_details"],
        )
        payout = _payout_or_404(request.user, payout.pk)
        return wrapped(
            s.PayoutOutput(payout).data,
            f"Payout requested: ${payout.amount} withdrawn, your share is ${payout.trader_share}.",
            status=status.HTTP_201_CREATED,
        )


class PayoutCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="prop_firm_payouts_cancel",
        request=None,
        responses=wrapped_schema("PayoutCancelResponse", s.PayoutOutput()),
    )
    def post(self, request, payout_id: int):
        payout = _payout_or_404(request.user, payout_id)
        services.payout_cancel(payout=payout, user=request.user)
        payout = _payout_or_404(request.user, payout_id)
        return wrapped(
            s.PayoutOutput(payout).data,
            f"Payout cancelled: ${payout.amount} credited back to the account.",
        )


def _connect_status_data(record) -> dict:
    if record is None:
        return {
            "connected": False,
            "stripe_account_id": None,
            "gateway": None,
            "payouts_enabled": False,
            "charges_enabled": False,
            "details_submitted": False,
            "requirements": {"currently_due": [], "disabled_reason": ""},
            "synced_at": None,
        }
    return {
        "connected": True,
        "stripe_account_id": record.stripe_account_id,
        "gateway": record.gateway,
        "payouts_enabled": record.payouts_enabled,
        "charges_enabled": record.charges_enabled,
        "details_submitted": record.details_submitted,
        "requirements": {
            "currently_due": list(record.requirements_currently_due or []),
            "disabled_reason": record.disabled_reason,
        },
        "synced_at": record.synced_at,
    }


class ConnectOnboardView(APIView):
    # Each call asks Stripe: a per-user rate keeps one trader from spending the firm's
    # shared Stripe rate limit, which checkout and transfers need too.
    throttle_classes = [ScopedUserRateThrottle]
    throttle_scope = "connect"
    """Stripe Connect (Express) onboarding: the trader's account is created once; each call
    returns a fresh onboarding link (Stripe's links are single-use and expire)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="prop_firm_payouts_connect_onboard",
        request=s.ConnectOnboardInput,
        responses=wrapped_schema("ConnectOnboardResponse", s.ConnectOnboardOutput()),
    )
    def post(self, request):
        data = s.ConnectOnboardInput(data=request.data)
        data.is_valid(raise_exception=True)
        record, link = connect.connect_onboard(
            user=request.user,
            refresh_url=data.validated_data.get("refresh_url", ""),
            return_url=data.validated_data.get("return_url", ""),
            base_url=request.build_absolute_uri("/"),
        )
        out = {
            "url": link.url,
            "expires_at": (
                datetime.fromtimestamp(link.expires_at, tz=UTC) if link.expires_at else None
            ),
            "account": _connect_status_data(record),
        }
        return wrapped(
            s.ConnectOnboardOutput(out).data,
            "Follow the link to set up the account your Stripe payouts go to.",
        )


class ConnectStatusView(APIView):
    throttle_classes = [ScopedUserRateThrottle]
    throttle_scope = "connect"
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="prop_firm_payouts_connect_status",
        responses=wrapped_schema("ConnectStatusResponse", s.ConnectStatusOutput()),
    )
    def get(self, request):
        record = connect.connect_status(user=request.user)
        if record is None:
            msg = "No payout account yet: start Stripe onboarding."
        elif record.payouts_enabled:
            msg = "Stripe payouts are enabled on your account."
        else:
            msg = "Stripe has not enabled payouts on your account yet: finish onboarding."
        return wrapped(s.ConnectStatusOutput(_connect_status_data(record)).data, msg)
