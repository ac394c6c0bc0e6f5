"""Use cases of the account app: register, authenticate, tokens, profile and password."""

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from account.models import User, normalize_email
from account.services.email_verification import email_verification_schedule
from alpacabackend.api.errors import ApplicationError, InvalidInput


class InvalidCredentials(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "INVALID_CREDENTIALS"
    default_message = "Email or password is not valid."


def tokens_for(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def password_errors(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        return list(exc.messages)
    return []


def user_register(*, email: str, name: str, password: str, base_url: str = "") -> User:
    """Creates a trader (the email is unique whatever its case) and, once committed, emails
    the link that verifies the address (`base_url`: this API's, for the link)."""
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput(
            "email: A user with this email already exists.",
            code="EMAIL_TAKEN",
            errors={"email": ["A user with this email already exists."]},
        )
    errors = password_errors(password, User(email=email, name=name))
    if errors:
        raise InvalidInput(
            f"password: {errors[0]}", code="VALIDATION_ERROR", errors={"password": errors}
        )
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, name=name, password=password)
            email_verification_schedule(user=user, base_url=base_url)
            return user
    except IntegrityError:  # two registrations raced past the check above
        raise InvalidInput(
            "email: A user with this email already exists.",
            code="EMAIL_TAKEN",
            errors={"email": ["A user with this email already exists."]},
        ) from None


def user_authenticate(*, request, email: str, password: str) -> User:
    """One answer for every wrong part, so a caller cannot tell which emails exist."""
    user = authenticate(request, username=normalize_email(email), password=password)
    if user is None or not user.is_active:
        raise InvalidCredentials()
    update_last_login(None, user)
    return user


def refresh_token_blacklist(*, refresh: str) -> None:
    try:
        RefreshToken(refresh).blacklist()
    except TokenError as exc:
        raise InvalidInput(
            "refresh: Token is invalid or expired.",
            code="TOKEN_NOT_VALID",
            errors={"refresh": [str(exc)]},
        ) from None


def blacklist_all_refresh_tokens(user: User) -> None:
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


def user_profile_update(
    *,
    user: User,
    name: str | None = None,
    avatar: str | None = None,
    email: str | None = None,
    password: str | None = None,
    base_url: str = "",
) -> User:
    """Changing the email (the login) needs the current password; the new address is
    unverified until its own link is opened."""
    if email is not None and normalize_email(email) != user.email:
        email = normalize_email(email)
        if not password or not user.check_password(password):
            raise InvalidInput(
                "password: Enter your current password to change your email.",
                code="PASSWORD_REQUIRED",
                errors={"password": ["Enter your current password to change your email."]},
            )
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise InvalidInput(
                "email: A user with this email already exists.",
                code="EMAIL_TAKEN",
                errors={"email": ["A user with this email already exists."]},
            )
        user.email = email
        user.email_verified = False
        email_changed = True
    else:
        email_changed = False
    if name is not None:
        user.name = name
    if avatar is not None:
        user.avatar = avatar
    user.save()
    if email_changed:
        email_verification_schedule(user=user, base_url=base_url)
    return user


def user_password_change(*, user: User, old_password: str, new_password: str) -> dict[str, str]:
    """Changes the password, logs out every other session (all refresh tokens blacklisted)
    and returns fresh tokens for this one. The one service behind the three change-password
    routes."""
    if not user.check_password(old_password):
        raise InvalidInput(
            "old_password: Your current password is not correct.",
            code="WRONG_PASSWORD",
            errors={"old_password": ["Your current password is not correct."]},
        )
    errors = password_errors(new_password, user)
    if errors:
        raise InvalidInput(
            f"new_password: {errors[0]}",
            code="VALIDATION_ERROR",
            errors={"new_password": errors},
        )
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        blacklist_all_refresh_tokens(user)
    return tokens_for(user)
