"""Input and output shapes of the payout endpoints (API.md "prop_firm" payouts rows)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alpacabackend.api.fields import AsciiIntegerField
from alpacabackend.money import MONEY_DIGITS
from prop_firm.payouts.models import Payout, PayoutMethod, PayoutStatus

MONEY = MONEY_DIGITS


# Documented as a pattern, not an `enum`: the same choice set in the trader's and the staff's
# payout components would otherwise collide with the other `status` enums (spectacular's
# enum naming); ENUM_NAME_OVERRIDES = {"PayoutStatusEnum": ...} would allow a named enum.
@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^({'|'.join(PayoutStatus.values)})$",
        "description": "; ".join(f"`{value}` {label}" for value, label in PayoutStatus.choices),
    }
)
class PayoutStatusField(serializers.ChoiceField):
    """A payout status."""

    def __init__(self, **kwargs):
        super().__init__(choices=PayoutStatus.choices, **kwargs)


class PayoutOutput(serializers.ModelSerializer):
    """A payout as its trader sees it."""

    status = PayoutStatusField(read_only=True)
    account_number = serializers.CharField(source="account.account_number")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Payout
        fields = [
            "id",
            "account",
            "account_number",
            "amount",
            "profit_split",
            "trader_share",
            "currency",
            "status",
            "status_display",
            "payment_method",
            "payment_details",
            "stripe_transfer_id",
            "reference",
            "reason",
            "failure_message",
            "requested_at",
            "processed_at",
            "completed_at",
            "credited_back_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PayoutListQuery(serializers.Serializer):
    status = PayoutStatusField(required=False)
    account_id = AsciiIntegerField(required=False, min_value=1)


class PayoutRequestInput(serializers.Serializer):
    account_id = AsciiIntegerField(min_value=1)
    payment_method = serializers.ChoiceField(choices=PayoutMethod.choices)
    payment_details = serializers.DictField(
        required=False,
        default=dict,
        help_text="Where to pay: bank account, wallet address... (not needed for stripe).",
    )


class CheckOutput(serializers.Serializer):
    rule = serializers.CharField()
    label = serializers.CharField()
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class EligibilityOutput(serializers.Serializer):
    eligible = serializers.BooleanField()
    checks = CheckOutput(many=True)
    profit = serializers.DecimalField(**MONEY, help_text="P = B − B0.")
    trader_share = serializers.DecimalField(**MONEY, help_text="P × profit_split / 100.")
    next_eligible_at = serializers.DateTimeField(allow_null=True)


class EligibilityQuery(serializers.Serializer):
    payment_method = serializers.ChoiceField(
        choices=PayoutMethod.choices,
        required=False,
        help_text="With `stripe`, also checks that Stripe pays out to your connected account.",
    )


class ConnectOnboardInput(serializers.Serializer):
    refresh_url = serializers.URLField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Where Stripe sends the trader when the link expired (default: the web app).",
    )
    return_url = serializers.URLField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Where Stripe sends the trader after onboarding (default: the web app).",
    )


class ConnectRequirementsOutput(serializers.Serializer):
    currently_due = serializers.ListField(child=serializers.CharField())
    disabled_reason = serializers.CharField(allow_blank=True)


class ConnectStatusOutput(serializers.Serializer):
    """The trader's Stripe Connect account as Stripe last told us."""

    connected = serializers.BooleanField(help_text="False until onboarding has started.")
    stripe_account_id = serializers.CharField(allow_null=True)
    gateway = serializers.CharField(allow_null=True, help_text="stripe, or local (offline).")
    payouts_enabled = serializers.BooleanField()
    charges_enabled = serializers.BooleanField()
    details_submitted = serializers.BooleanField()
    requirements = ConnectRequirementsOutput()
    synced_at = serializers.DateTimeField(allow_null=True)


class ConnectOnboardOutput(serializers.Serializer):
    url = serializers.CharField(help_text="Send the trader here (single use, expires soon).")
    expires_at = serializers.DateTimeField(allow_null=True)
    account = ConnectStatusOutput()
