"""prop_firm's trader API (API.md "prop_firm"): plans, accounts and their numbers.

One view per operation: permission, input serializer, one selector or service, output.
Another user's account answers 404, as if it did not exist.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView

from alpacabackend.api.errors import NotFound
from alpacabackend.api.pagination import (
    StandardPagination,
    WrappedListPagination,
    wrapped_list_schema,
)
from alpacabackend.api.responses import wrapped, wrapped_schema
from prop_firm import selectors
from prop_firm.api import serializers as s
from prop_firm.services.rule_engine import account_check


def _account_or_404(request, account_id: int):
    account = selectors.account_get(user=request.user, account_id=account_id)
    if account is None:
        raise NotFound("Account not found.", code="ACCOUNT_NOT_FOUND")
    return account


class PlanListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="prop_firm_plans_list",
        responses=inline_serializer(
            "PlanListResponse",
            {
                "msg": serializers.CharField(),
                "data": s.PlanOutput(many=True),
                "count": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request):
        plans = selectors.plan_list()
        data = s.PlanOutput(plans, many=True).data
        return wrapped(data, "Plans retrieved.", count=len(data))


class PlanDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=wrapped_schema("PlanDetailResponse", s.PlanOutput()))
    def get(self, request, plan_id: int):
        plan = selectors.plan_list().filter(pk=plan_id).first()
        if plan is None:
            raise NotFound("Plan not found.", code="PLAN_NOT_FOUND")
        return wrapped(s.PlanOutput(plan).data, "Plan retrieved.")


class AccountListView(APIView):
    permission_classes = [IsAuthenticated]

    class Pagination(WrappedListPagination):
        msg = "Accounts retrieved."

    @extend_schema(
        operation_id="prop_firm_accounts_list",
        parameters=[s.AccountFilterInput],
        responses=wrapped_list_schema("AccountListResponse", s.AccountListOutput),
    )
    def get(self, request):
        filters = s.AccountFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        accounts = selectors.account_list(user=request.user, **filters.validated_data)
        paginator = self.Pagination()
        page = paginator.paginate_queryset(accounts, request, view=self)
        rows = [selectors.account_row(account) for account in page]
        return paginator.get_paginated_response(s.AccountListOutput(rows, many=True).data)


class AccountDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=wrapped_schema("AccountDetailResponse", s.AccountDetailOutput()))
    def get(self, request, account_id: int):
        account = _account_or_404(request, account_id)
        detail = selectors.account_detail(account=account)
        return wrapped(s.AccountDetailOutput(detail).data, "Account retrieved.")


class AccountRefreshBalanceView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "AccountRefreshResponse",
            {
                "msg": serializers.CharField(),
                "data": s.AccountDetailOutput(),
                "violations": s.ViolationOutput(many=True),
            },
        ),
    )
    def post(self, request, account_id: int):
        account = _account_or_404(request, account_id)
        result = account_check(account=account)
        account = _account_or_404(request, account_id)
        detail = selectors.account_detail(account=account)
        msg = (
            "Balance refreshed: the account broke a rule and has failed."
            if result.violations
            else "Balance refreshed."
        )
        return wrapped(
            s.AccountDetailOutput(detail).data,
            msg,
            violations=s.ViolationOutput(result.violations, many=True).data,
        )


class AccountActivitiesView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = StandardPagination

    @extend_schema(responses=s.ActivityOutput(many=True))
    def get(self, request, account_id: int):
        account = _account_or_404(request, account_id)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(
            selectors.account_activities(account=account), request, view=self
        )
        return paginator.get_paginated_response(s.ActivityOutput(page, many=True).data)


class AccountViolationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "AccountViolationsResponse",
            {
                "msg": serializers.CharField(),
                "data": s.ViolationOutput(many=True),
                "count": serializers.IntegerField(),
            },
        )
    )
    def get(self, request, account_id: int):
        account = _account_or_404(request, account_id)
        data = s.ViolationOutput(selectors.account_violations(account=account), many=True).data
        return wrapped(data, "Violations retrieved.", count=len(data))


class AccountStatisticsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=wrapped_schema("AccountStatisticsResponse", s.StatisticsOutput()))
    def get(self, request, account_id: int):
        account = _account_or_404(request, account_id)
        stats = selectors.account_statistics(account=account)
        return wrapped(s.StatisticsOutput(stats).data, "Statistics retrieved.")


class AccountEquityCurveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "interval", str, enum=["day", "hour"], description="Bucket (default day)."
            )
        ],
        responses=inline_serializer(
            "AccountEquityCurveResponse",
            {
                "msg": serializers.CharField(),
                "data": s.EquityPointOutput(many=True),
                "count": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request, account_id: int):
        params = s.EquityCurveInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        account = _account_or_404(request, account_id)
        points = selectors.account_equity_curve(
            account=account, interval=params.validated_data["interval"]
        )
        data = s.EquityPointOutput(points, many=True).data
        return wrapped(data, "Equity curve retrieved.", count=len(data))
