"""The staff REST API (API.md "prop_firm admin API"), for the SPA's admin pages.

Staff only: anonymous callers get 401, traders 403. Lists are paginated (`page`/`page_size`
or `limit`/`offset`, plus `search`, `status` and each resource's filters); an action answers
wrapped (`{"msg", "data"}`), a deletion 204. The objects the web app's admin pages read bare
are bare (SPA-CONTRACT.md §6): the dashboard, an account's and a watchlist's detail, and
the trade statistics.
Every change goes through a service: payouts through `prop_firm.payouts.services`, account
transitions through `prop_firm.services.lifecycle`, the rest through `admin_api.services`.
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alpacabackend.api.errors import NotFound
from alpacabackend.api.pagination import StandardPagination
from alpacabackend.api.responses import wrapped
from core.models import Asset
from core.services.watchlists import watchlist_delete, watchlist_update
from prop_firm import selectors as prop_selectors
from prop_firm.admin_api import selectors, services
from prop_firm.admin_api import serializers as s
from prop_firm.admin_api.permissions import IsStaff
from prop_firm.api.serializers import ViolationOutput
from prop_firm.models import PropFirmPlan
from prop_firm.payouts import services as payouts
from prop_firm.payouts.selectors import payout_admin_list
from prop_firm.services import lifecycle
from prop_firm.services.rule_engine import account_check

User = get_user_model()


def _wrapped(name: str, data) -> serializers.Serializer:
    return inline_serializer(name, {"msg": serializers.CharField(), "data": data})


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return {key: value for key, value in query.validated_data.items() if value is not None}


def _input(serializer_class, request, **kwargs) -> dict:
    data = serializer_class(data=request.data, **kwargs)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _get_or_404(queryset, pk: int, what: str):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{what} not found.", code=f"{what.upper()}_NOT_FOUND")
    return obj


class StaffView(APIView):
    permission_classes = [IsStaff]


class StaffListView(StaffView):
    """GET: one selector, paginated with StandardPagination."""

    pagination_class = StandardPagination
    query_class: type[serializers.Serializer]
    output_class: type[serializers.Serializer]

    def rows(self, **filters):
        raise NotImplementedError

    def shape(self, page):
        return page

    def get(self, request):
        paginator = StandardPagination()
        page = paginator.paginate_queryset(self.rows(**_query(self.query_class, request)), request)
        return paginator.get_paginated_response(self.output_class(self.shape(page), many=True).data)


def _list_schema(query, output, operation_id: str):
    return extend_schema(operation_id=operation_id, parameters=[query], responses=output(many=True))


# --------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------


class DashboardView(StaffView):
    @extend_schema(operation_id="prop_firm_admin_dashboard", responses=s.DashboardOutput)
    def get(self, request):
        return Response(s.DashboardOutput(selectors.dashboard_overview()).data)


# --------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------


def _user(pk: int):
    return _get_or_404(selectors.user_list(), pk, "User")


class UserListView(StaffListView):
    query_class = s.UserQuery
    output_class = s.AdminUserOutput

    def rows(self, **filters):
        return selectors.user_list(**filters)

    @_list_schema(s.UserQuery, s.AdminUserOutput, "prop_firm_admin_users_list")
    def get(self, request):
        return super().get(request)


class UserDetailView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_users_retrieve",
        responses=_wrapped("AdminUserResponse", s.AdminUserOutput()),
    )
    def get(self, request, user_id: int):
        return wrapped(s.AdminUserOutput(_user(user_id)).data, "User retrieved.")

    @extend_schema(
        operation_id="prop_firm_admin_users_update",
        request=s.UserUpdateInput,
        responses=_wrapped("AdminUserUpdateResponse", s.AdminUserOutput()),
    )
    def patch(self, request, user_id: int):
        user = _user(user_id)
        services.user_update(user=user, actor=request.user, **_input(s.UserUpdateInput, request))
        return wrapped(s.AdminUserOutput(_user(user_id)).data, "User updated.")

    @extend_schema(operation_id="prop_firm_admin_users_destroy", responses={204: None})
    def delete(self, request, user_id: int):
        services.user_delete(user=_user(user_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserToggleAdminView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_users_toggle_admin",
        request=None,
        responses=_wrapped("AdminUserToggleAdminResponse", s.AdminUserOutput()),
    )
    def post(self, request, user_id: int):
        user = services.user_toggle_admin(user=_user(user_id), actor=request.user)
        msg = "User is now an admin." if user.is_staff else "User is no longer an admin."
        return wrapped(s.AdminUserOutput(user).data, msg)


class UserToggleVerifiedView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_users_toggle_verified",
        request=None,
        responses=_wrapped("AdminUserToggleVerifiedResponse", s.AdminUserOutput()),
    )
    def post(self, request, user_id: int):
        user = services.user_toggle_verified(user=_user(user_id), actor=request.user)
        msg = "User is now verified." if user.is_verified else "User is no longer verified."
        return wrapped(s.AdminUserOutput(user).data, msg)


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


def _account(pk: int):
    return _get_or_404(
        selectors.account_list().select_related("previous_account", "next_account"),
        pk,
        "Account",
    )


def _account_detail(pk: int) -> dict:
    detail = selectors.account_admin_detail(account=_account(pk))
    return s.AdminAccountDetailOutput(detail).data


_ACCOUNT_DETAIL = s.AdminAccountDetailOutput()


class AccountListView(StaffListView):
    query_class = s.AccountQuery
    output_class = s.AdminAccountOutput

    def rows(self, **filters):
        return selectors.account_list(**filters)

    def shape(self, page):
        return [prop_selectors.account_row(account) for account in page]

    @_list_schema(s.AccountQuery, s.AdminAccountOutput, "prop_firm_admin_accounts_list")
    def get(self, request):
        return super().get(request)


class AccountDetailView(StaffView):
    @extend_schema(operation_id="prop_firm_admin_accounts_retrieve", responses=_ACCOUNT_DETAIL)
    def get(self, request, account_id: int):
        return Response(_account_detail(account_id))

    @extend_schema(
        operation_id="prop_firm_admin_accounts_update",
        request=s.AccountNotesInput,
        responses=_wrapped("AdminAccountUpdateResponse", _ACCOUNT_DETAIL),
    )
    def patch(self, request, account_id: int):
        notes = _input(s.AccountNotesInput, request)["notes"]
        services.account_notes_update(account=_account(account_id), notes=notes, actor=request.user)
        return wrapped(_account_detail(account_id), "Account notes updated.")

    @extend_schema(
        operation_id="prop_firm_admin_accounts_destroy",
        description="Closes the account (liquidating it first); its ledger is kept.",
        responses={204: None},
    )
    def delete(self, request, account_id: int):
        lifecycle.account_close(
            account=_account(account_id), reason="Closed by staff.", actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountActivateView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_accounts_activate",
        request=None,
        responses=_wrapped("AdminAccountActivateResponse", _ACCOUNT_DETAIL),
    )
    def post(self, request, account_id: int):
        lifecycle.account_activate(account=_account(account_id), actor=request.user)
        return wrapped(_account_detail(account_id), "Account activated.")


class AccountUpdateBalanceView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_accounts_update_balance",
        description="Re-marks the account to the latest quotes and applies the rules.",
        request=None,
        responses=inline_serializer(
            "AdminAccountUpdateBalanceResponse",
            {
                "msg": serializers.CharField(),
                "data": s.AdminAccountDetailOutput(),
                "violations": ViolationOutput(many=True),
            },
        ),
    )
    def post(self, request, account_id: int):
        result = account_check(account=_account(account_id), actor=request.user)
        return wrapped(
            _account_detail(account_id),
            "Balance updated.",
            violations=ViolationOutput(result.violations, many=True).data,
        )


class AccountAddNoteView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_accounts_add_note",
        request=s.AccountNoteInput,
        responses=_wrapped("AdminAccountAddNoteResponse", _ACCOUNT_DETAIL),
    )
    def post(self, request, account_id: int):
        note = _input(s.AccountNoteInput, request)["note"]
        services.account_note_add(account=_account(account_id), note=note, actor=request.user)
        return wrapped(_account_detail(account_id), "Note added.")


class AccountChangeStatusView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_accounts_change_status",
        request=s.AccountStatusInput,
        responses=_wrapped("AdminAccountChangeStatusResponse", _ACCOUNT_DETAIL),
    )
    def post(self, request, account_id: int):
        data = _input(s.AccountStatusInput, request)
        services.account_status_change(
            account=_account(account_id),
            status=data["status"],
            reason=data["reason"],
            actor=request.user,
            via="the staff API",
        )
        return wrapped(_account_detail(account_id), f"Account is now {data['status'].lower()}.")


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------


def _plan(pk: int) -> PropFirmPlan:
    return _get_or_404(selectors.plan_list(), pk, "Plan")


class PlanListView(StaffListView):
    query_class = s.PlanQuery
    output_class = s.AdminPlanOutput

    def rows(self, **filters):
        return selectors.plan_list(**filters)

    @_list_schema(s.PlanQuery, s.AdminPlanOutput, "prop_firm_admin_plans_list")
    def get(self, request):
        return super().get(request)

    @extend_schema(
        operation_id="prop_firm_admin_plans_create",
        request=s.PlanInput,
        responses={201: _wrapped("AdminPlanCreateResponse", s.AdminPlanOutput())},
    )
    def post(self, request):
        plan = services.plan_create(**_input(s.PlanInput, request))
        return wrapped(
            s.AdminPlanOutput(_plan(plan.pk)).data, "Plan created.", status=status.HTTP_201_CREATED
        )


class PlanDetailView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_plans_retrieve",
        responses=_wrapped("AdminPlanResponse", s.AdminPlanOutput()),
    )
    def get(self, request, plan_id: int):
        return wrapped(s.AdminPlanOutput(_plan(plan_id)).data, "Plan retrieved.")

    @extend_schema(
        operation_id="prop_firm_admin_plans_update",
        request=s.PlanInput(partial=True),
        responses=_wrapped("AdminPlanUpdateResponse", s.AdminPlanOutput()),
    )
    def patch(self, request, plan_id: int):
        plan = _plan(plan_id)
        services.plan_update(plan=plan, **_input(s.PlanInput, request, partial=True))
        return wrapped(s.AdminPlanOutput(_plan(plan_id)).data, "Plan updated.")

    @extend_schema(operation_id="prop_firm_admin_plans_destroy", responses={204: None})
    def delete(self, request, plan_id: int):
        services.plan_delete(plan=_plan(plan_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanToggleActiveView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_plans_toggle_active",
        request=None,
        responses=_wrapped("AdminPlanToggleActiveResponse", s.AdminPlanOutput()),
    )
    def post(self, request, plan_id: int):
        plan = services.plan_toggle_active(plan=_plan(plan_id))
        msg = "Plan activated." if plan.is_active else "Plan deactivated."
        return wrapped(s.AdminPlanOutput(_plan(plan_id)).data, msg)


# --------------------------------------------------------------------------------------
# Payouts
# --------------------------------------------------------------------------------------


def _payout(pk: int):
    return _get_or_404(payout_admin_list(), pk, "Payout")


def _payout_data(pk: int) -> dict:
    return s.AdminPayoutOutput(_payout(pk)).data


_PAYOUT = s.AdminPayoutOutput()


class PayoutListView(StaffListView):
    query_class = s.PayoutQuery
    output_class = s.AdminPayoutOutput

    def rows(self, **filters):
        return payout_admin_list(**filters)

    @_list_schema(s.PayoutQuery, s.AdminPayoutOutput, "prop_firm_admin_payouts_list")
    def get(self, request):
        return super().get(request)


class PayoutDetailView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_payouts_retrieve",
        responses=_wrapped("AdminPayoutResponse", _PAYOUT),
    )
    def get(self, request, payout_id: int):
        return wrapped(_payout_data(payout_id), "Payout retrieved.")

    @extend_schema(
        operation_id="prop_firm_admin_payouts_update",
        request=s.PayoutNotesInput,
        responses=_wrapped("AdminPayoutUpdateResponse", _PAYOUT),
        description="Staff's internal notes: `notes` (the web app's name) or `admin_notes`.",
    )
    def patch(self, request, payout_id: int):
        notes = _input(s.PayoutNotesInput, request)["admin_notes"]
        payouts.payout_notes_update(
            payout=_payout(payout_id), admin_notes=notes, actor=request.user
        )
        return wrapped(_payout_data(payout_id), "Payout notes updated.")


class PayoutApproveView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_payouts_approve",
        description=(
            "Stripe payouts: the Connect transfer of the trader's share is made now "
            "(COMPLETED, or FAILED with Stripe's message; 503 when Stripe could not be "
            "reached: approve again to retry safely). Other methods: PROCESSING (the money is "
            "being sent by hand), then `complete`."
        ),
        request=None,
        responses=_wrapped("AdminPayoutApproveResponse", _PAYOUT),
    )
    def post(self, request, payout_id: int):
        payout = payouts.payout_approve(payout=_payout(payout_id), actor=request.user)
        messages = {
            "COMPLETED": "Payout approved and paid.",
            "FAILED": f"Payout approved but the transfer failed: {payout.failure_message}",
            "PROCESSING": (
                "Payout approved: send the money, then mark it completed."
                if payout.payment_method != "stripe"
                else "Payout approved: the Stripe transfer is in progress."
            ),
        }
        return wrapped(_payout_data(payout_id), messages.get(payout.status, "Payout approved."))


class PayoutCompleteView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_payouts_complete",
        request=s.PayoutCompleteInput,
        responses=_wrapped("AdminPayoutCompleteResponse", _PAYOUT),
        description="Records a manual payout (PROCESSING) as paid; the body and its "
        "`reference` are optional.",
    )
    def post(self, request, payout_id: int):
        reference = _input(s.PayoutCompleteInput, request)["reference"]
        payouts.payout_complete(payout=_payout(payout_id), reference=reference, actor=request.user)
        return wrapped(_payout_data(payout_id), "Payout marked as paid.")


class PayoutRejectView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_payouts_reject",
        request=s.PayoutRejectInput,
        responses=_wrapped("AdminPayoutRejectResponse", _PAYOUT),
    )
    def post(self, request, payout_id: int):
        reason = _input(s.PayoutRejectInput, request)["reason"]
        payouts.payout_reject(payout=_payout(payout_id), reason=reason, actor=request.user)
        return wrapped(_payout_data(payout_id), "Payout rejected: the profit was credited back.")


# --------------------------------------------------------------------------------------
# Violations and trades
# --------------------------------------------------------------------------------------


class ViolationListView(StaffListView):
    query_class = s.ViolationQuery
    output_class = s.AdminViolationOutput

    def rows(self, **filters):
        return selectors.violation_list(**filters)

    @_list_schema(s.ViolationQuery, s.AdminViolationOutput, "prop_firm_admin_violations_list")
    def get(self, request):
        return super().get(request)


class TradeListView(StaffListView):
    query_class = s.TradeQuery
    output_class = s.AdminTradeOutput

    def rows(self, **filters):
        return selectors.trade_list(**filters)

    @_list_schema(s.TradeQuery, s.AdminTradeOutput, "prop_firm_admin_trades_list")
    def get(self, request):
        return super().get(request)


class TradeDetailView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_trades_retrieve",
        responses=_wrapped("AdminTradeResponse", s.AdminTradeOutput()),
    )
    def get(self, request, trade_id: int):
        trade = _get_or_404(selectors.trade_list(), trade_id, "Trade")
        return wrapped(s.AdminTradeOutput(trade).data, "Trade retrieved.")


class TradeStatisticsView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_trades_statistics", responses=s.TradeStatisticsOutput
    )
    def get(self, request):
        return Response(s.TradeStatisticsOutput(selectors.trade_statistics()).data)


# --------------------------------------------------------------------------------------
# Assets and watchlists
# --------------------------------------------------------------------------------------


def _asset(pk: int) -> Asset:
    return _get_or_404(selectors.asset_list(), pk, "Asset")


class AssetListView(StaffListView):
    query_class = s.AssetQuery
    output_class = s.AdminAssetOutput

    def rows(self, **filters):
        return selectors.asset_list(**filters)

    @_list_schema(s.AssetQuery, s.AdminAssetOutput, "prop_firm_admin_assets_list")
    def get(self, request):
        return super().get(request)


class AssetDetailView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_assets_retrieve",
        responses=_wrapped("AdminAssetResponse", s.AdminAssetOutput()),
    )
    def get(self, request, asset_id: int):
        return wrapped(s.AdminAssetOutput(_asset(asset_id)).data, "Asset retrieved.")

    @extend_schema(
        operation_id="prop_firm_admin_assets_update",
        request=s.AssetUpdateInput,
        responses=_wrapped("AdminAssetUpdateResponse", s.AdminAssetOutput()),
    )
    def patch(self, request, asset_id: int):
        asset = _asset(asset_id)
        fields = _input(s.AssetUpdateInput, request, partial=True)
        services.asset_update(asset=asset, **fields)
        return wrapped(s.AdminAssetOutput(asset).data, "Asset updated.")


class AssetToggleTradableView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_assets_toggle_tradable",
        request=None,
        responses=_wrapped("AdminAssetToggleTradableResponse", s.AdminAssetOutput()),
    )
    def post(self, request, asset_id: int):
        asset = services.asset_toggle_tradable(asset=_asset(asset_id))
        msg = "Asset is now tradable." if asset.tradable else "Asset is no longer tradable."
        return wrapped(s.AdminAssetOutput(asset).data, msg)


def _watchlist(pk: int):
    watchlist = selectors.watchlist_detail(watchlist_id=pk)
    if watchlist is None:
        raise NotFound("Watchlist not found.", code="WATCHLIST_NOT_FOUND")
    return watchlist


class WatchListListView(StaffListView):
    query_class = s.WatchListQuery
    output_class = s.AdminWatchListRow

    def rows(self, **filters):
        return selectors.watchlist_list(**filters)

    @_list_schema(s.WatchListQuery, s.AdminWatchListRow, "prop_firm_admin_watchlists_list")
    def get(self, request):
        return super().get(request)


class WatchListDetailView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_watchlists_retrieve", responses=s.AdminWatchListOutput
    )
    def get(self, request, watchlist_id: int):
        return Response(s.AdminWatchListOutput(_watchlist(watchlist_id)).data)

    @extend_schema(
        operation_id="prop_firm_admin_watchlists_update",
        request=s.WatchListUpdateInput,
        responses=_wrapped("AdminWatchListUpdateResponse", s.AdminWatchListOutput()),
    )
    def patch(self, request, watchlist_id: int):
        fields = _input(s.WatchListUpdateInput, request)
        watchlist_update(watchlist=_watchlist(watchlist_id), **fields)
        return wrapped(s.AdminWatchListOutput(_watchlist(watchlist_id)).data, "Watchlist updated.")

    @extend_schema(operation_id="prop_firm_admin_watchlists_destroy", responses={204: None})
    def delete(self, request, watchlist_id: int):
        watchlist_delete(watchlist=_watchlist(watchlist_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WatchListToggleActiveView(StaffView):
    @extend_schema(
        operation_id="prop_firm_admin_watchlists_toggle_active",
        request=None,
        responses=_wrapped("AdminWatchListToggleActiveResponse", s.AdminWatchListOutput()),
    )
    def post(self, request, watchlist_id: int):
        watchlist = services.watchlist_toggle_active(watchlist=_watchlist(watchlist_id))
        msg = "Watchlist activated." if watchlist.is_active else "Watchlist deactivated."
        return wrapped(s.AdminWatchListOutput(_watchlist(watchlist_id)).data, msg)
