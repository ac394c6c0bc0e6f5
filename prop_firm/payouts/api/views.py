"""The trader's payout endpoints (API.md "prop_firm"): eligibility, request, list, cancel.

Another user's account or payout answers 404, as if it did not exist.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from alpacabackend.api.errors import NotFound
from alpacabackend.api.pagination import WrappedListPagination, wrapped_list_schema
from alpacabackend.api.responses import wrapped, wrapped_schema
from prop_firm.payouts import selectors, services
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
        responses=wrapped_schema("PayoutEligibilityResponse", s.EligibilityOutput()),
    )
    def get(self, request, account_id: int):
        account = account_of_user(user=request.user, account_id=account_id)
        eligibility = selectors.payout_eligibility(account=account)
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
