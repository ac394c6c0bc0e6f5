"""Checkout and webhook endpoints: parse input, call one service, shape output."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alpacabackend.api.errors import NotFound
from alpacabackend.api.responses import wrapped, wrapped_schema
from alpacabackend.api.throttles import ScopedUserRateThrottle
from prop_firm import selectors
from prop_firm.api.serializers import AccountListOutput
from prop_firm.models import PropFirmPlan
from prop_firm.payments.api import serializers as s
from prop_firm.payments.services.checkout import checkout_config, checkout_session_create
from prop_firm.payments.services.fulfilment import purchase_verify
from prop_firm.payments.services.webhooks import webhook_deliver


class CheckoutConfigView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="prop_firm_checkout_config",
        responses=wrapped_schema("CheckoutConfigResponse", s.CheckoutConfigOutput()),
    )
    def get(self, request):
        return wrapped(s.CheckoutConfigOutput(checkout_config()).data, "Checkout configuration.")


class CheckoutSessionCreateView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedUserRateThrottle]
    throttle_scope = "checkout"

    @extend_schema(
        operation_id="prop_firm_checkout_create_session",
        request=s.CheckoutSessionInput,
        responses={
            201: wrapped_schema("CheckoutSessionResponse", s.CheckoutSessionOutput()),
            403: OpenApiResponse(
                description="EMAIL_NOT_VERIFIED, when CHECKOUT_REQUIRES_VERIFIED_EMAIL is on."
            ),
        },
    )
    def post(self, request):
        data = s.CheckoutSessionInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan = PropFirmPlan.objects.filter(pk=data.validated_data["plan_id"]).first()
        if plan is None:
            raise NotFound("Plan not found.", code="PLAN_NOT_FOUND")
        purchase = checkout_session_create(
            user=request.user,
            plan=plan,
            success_url=data.validated_data["success_url"],
            cancel_url=data.validated_data["cancel_url"],
            base_url=request.build_absolute_uri("/"),
        )
        out = {
            "session_id": purchase.session_id,
            "session_url": purchase.session_url,
            "account_id": purchase.account_id,
            "account_number": purchase.account.account_number,
        }
        return wrapped(
            s.CheckoutSessionOutput(out).data,
            "Checkout session created.",
            status=status.HTTP_201_CREATED,
        )


class VerifyPaymentView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="prop_firm_checkout_verify_payment",
        request=s.VerifyPaymentInput,
        responses=wrapped_schema("VerifyPaymentResponse", AccountListOutput()),
    )
    def post(self, request):
        data = s.VerifyPaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = purchase_verify(
            user=request.user,
            account_id=data.validated_data["account_id"],
            session_id=data.validated_data.get("session_id", ""),
            payment_intent_id=data.validated_data.get("payment_intent_id", ""),
        )
        account = selectors.account_get(user=request.user, account_id=result.account.pk)
        row = selectors.account_row(account)
        return wrapped(AccountListOutput(row).data, "Payment verified; the account is active.")


class RawBodyParser(BaseParser):
    """The webhook reads `request.body` itself (the signature covers the exact bytes)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


class StripeWebhookView(APIView):
    """Stripe (or the local gateway) calls this; no user, no CSRF, the signature is the
    authentication."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]
    throttle_classes: list = []

    @extend_schema(
        operation_id="prop_firm_webhook_stripe",
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="`t=<unix time>,v1=<HMAC-SHA256 hex>` as Stripe signs.",
            )
        ],
        responses={200: s.WebhookAckOutput},
        auth=[],
    )
    def post(self, request):
        webhook_deliver(payload=request.body, signature=request.headers.get("Stripe-Signature"))
        return Response({"status": "success"})
