"""The trader's API keys of one prop account (JWT, the web app's auth): create, list, revoke.
Another trader's account answers 404."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alpacabackend.api.responses import wrapped, wrapped_schema
from prop_firm.alpaca_api import keys
from prop_firm.selectors import account_of_user


class ApiKeyInput(serializers.Serializer):
    label = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class ApiKeyOutput(serializers.Serializer):
    key_id = serializers.CharField()
    label = serializers.CharField()
    account = serializers.IntegerField(source="account_id")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class ApiKeyCreatedOutput(ApiKeyOutput):
    secret_key = serializers.CharField(help_text="Shown once: only its hash is stored.")


class ApiKeyListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="prop_firm_accounts_api_keys_list",
        responses=wrapped_schema("ApiKeyListResponse", ApiKeyOutput(many=True)),
    )
    def get(self, request, account_id: int):
        account = account_of_user(user=request.user, account_id=account_id)
        data = ApiKeyOutput(keys.api_key_list(account=account), many=True).data
        return wrapped(data, "API keys retrieved.")

    @extend_schema(
        operation_id="prop_firm_accounts_api_keys_create",
        request=ApiKeyInput,
        responses={201: wrapped_schema("ApiKeyCreatedResponse", ApiKeyCreatedOutput())},
        description="A key for the Alpaca-compatible API (/alpaca/v2/...) of this account. "
        "The secret_key is in this answer only; store it now.",
    )
    def post(self, request, account_id: int):
        account = account_of_user(user=request.user, account_id=account_id)
        payload = ApiKeyInput(data=request.data)
        payload.is_valid(raise_exception=True)
        created = keys.api_key_create(
            account=account, label=payload.validated_data["label"], user=request.user
        )
        data = ApiKeyCreatedOutput(
            {
                "key_id": created.api_key.key_id,
                "label": created.api_key.label,
                "account_id": account.pk,
                "created_at": created.api_key.created_at,
                "last_used_at": None,
                "secret_key": created.secret_key,
            }
        ).data
        return wrapped(
            data,
            "API key created. Copy the secret key now: it is not shown again.",
            status=status.HTTP_201_CREATED,
        )


class ApiKeyDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="prop_firm_accounts_api_keys_revoke", responses={204: None})
    def delete(self, request, account_id: int, key_id: str):
        account = account_of_user(user=request.user, account_id=account_id)
        api_key = keys.api_key_get(account=account, key_id=key_id)
        keys.api_key_revoke(api_key=api_key, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
