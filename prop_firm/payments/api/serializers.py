"""Input and output of the checkout and webhook endpoints (API.md "prop_firm")."""

from rest_framework import serializers

from alpacabackend.api.fields import AsciiIntegerField


class CheckoutConfigOutput(serializers.Serializer):
    gateway = serializers.ChoiceField(choices=["stripe", "local"], allow_null=True)
    publishable_key = serializers.CharField(allow_blank=True)


class CheckoutSessionInput(serializers.Serializer):
    plan_id = AsciiIntegerField(min_value=1)
    success_url = serializers.CharField(max_length=2000)
    cancel_url = serializers.CharField(max_length=2000)


class CheckoutSessionOutput(serializers.Serializer):
    session_id = serializers.CharField()
    session_url = serializers.CharField()
    account_id = serializers.IntegerField()
    account_number = serializers.CharField()


class VerifyPaymentInput(serializers.Serializer):
    account_id = AsciiIntegerField(min_value=1)
    payment_intent_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    session_id = serializers.CharField(max_length=255, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs.get("payment_intent_id") and not attrs.get("session_id"):
            raise serializers.ValidationError(
                {"session_id": ["Send session_id or payment_intent_id."]}
            )
        return attrs


class WebhookAckOutput(serializers.Serializer):
    status = serializers.CharField()
