from rest_framework import serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer

from account.models import User


class UserOutput(serializers.ModelSerializer):
    is_admin = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "name",
            "avatar",
            "is_admin",
            "is_verified",
            "email_verified",
            "auth_provider",
            "date_joined",
        ]
        read_only_fields = fields


class TokenPair(serializers.Serializer):
    refresh = serializers.CharField()
    access = serializers.CharField()


class AuthOutput(serializers.Serializer):
    msg = serializers.CharField()
    token = TokenPair()
    data = UserOutput()


class MessageOutput(serializers.Serializer):
    msg = serializers.CharField()


class RegisterInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    password2 = serializers.CharField(write_only=True, style={"input_type": "password"})
    tc = serializers.BooleanField()

    def validate_tc(self, value):
        if value is not True:
            raise serializers.ValidationError("You must accept the terms and conditions.")
        return value

    def validate(self, attrs):
        if attrs["password"] != attrs["password2"]:
            raise serializers.ValidationError({"password2": ["The two passwords do not match."]})
        return attrs


class LoginInput(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField()


class ProfileInput(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    avatar = serializers.URLField(max_length=500, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False)
    password = serializers.CharField(
        write_only=True, required=False, help_text="Current password; needed to change email."
    )


class ChangePasswordInput(serializers.Serializer):
    """`password`/`password2` are accepted for `new_password`/`new_password2`: the original
    backend's `change-password/` and `changepassword/` routes used those names."""

    old_password = serializers.CharField(write_only=True)
    new_password = serializers.CharField(write_only=True)
    new_password2 = serializers.CharField(write_only=True)

    _ALIASES = {"password": "new_password", "password2": "new_password2"}

    def to_internal_value(self, data):
        if hasattr(data, "get"):
            data = {key: data.get(key) for key in data}
            for alias, name in self._ALIASES.items():
                if alias in data and name not in data:
                    data[name] = data.pop(alias)
        return super().to_internal_value(data)

    def validate(self, attrs):
        if attrs["new_password"] != attrs["new_password2"]:
            raise serializers.ValidationError(
                {"new_password2": ["The two passwords do not match."]}
            )
        return attrs


class ChangePasswordOutput(serializers.Serializer):
    msg = serializers.CharField()
    data = UserOutput()
    token = TokenPair()


class PasswordsMatchInput(serializers.Serializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    password2 = serializers.CharField(write_only=True, style={"input_type": "password"})

    def validate(self, attrs):
        if attrs["password"] != attrs["password2"]:
            raise serializers.ValidationError({"password2": ["The two passwords do not match."]})
        return attrs


class PasswordResetRequestInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(PasswordsMatchInput):
    """The new password, twice; the link's `uid` and `token` are in the path."""


class GoogleSignInInput(serializers.Serializer):
    token = serializers.CharField(
        max_length=8192, help_text="The Google ID token (a JWT) the Google button returned."
    )


class TokenRefreshInput(TokenRefreshSerializer):
    """simplejwt's refresh, with a deleted user's token refused (401) instead of the
    `User.DoesNotExist` the stock serializer lets escape."""

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except User.DoesNotExist:
            raise AuthenticationFailed(
                "No active account found for the given token.", "no_active_account"
            ) from None
