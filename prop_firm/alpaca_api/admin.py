"""Staff list and revoke API keys (never see or edit a secret)."""

from django.contrib import admin, messages

from prop_firm.alpaca_api.keys import api_key_revoke
from prop_firm.alpaca_api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "key_id",
        "label",
        "account",
        "owner",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("key_id", "label", "account__account_number", "account__user__email")
    list_select_related = ("account", "account__user")
    readonly_fields = (
        "key_id",
        "label",
        "account",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )
    exclude = ("secret_hash",)
    actions = ["revoke_keys"]

    @admin.display(description="Owner", ordering="account__user__email")
    def owner(self, obj):
        return obj.account.user.email

    def has_add_permission(self, request):
        return False  # traders create keys; the secret is theirs alone

    @admin.action(description="Revoke the selected keys")
    def revoke_keys(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key, user=request.user)
            revoked += 1
        self.message_user(request, f"{revoked} key(s) revoked.", messages.SUCCESS)
