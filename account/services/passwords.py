"""Forgotten and changed passwords.

A reset link carries the user's id (base64) and a token of Django's
PasswordResetTokenGenerator: it expires after PASSWORD_RESET_TIMEOUT seconds and works once,
since the token hashes the password it is about to replace. Setting a new password, by reset
or change, blacklists every refresh token the user holds: a stolen session ends with it.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from account.models import User, normalize_email
from account.services.users import blacklist_all_refresh_tokens, password_errors
from alpacabackend.api.errors import InvalidInput
from alpacabackend.emails import email_send
from alpacabackend.queue import task_enqueue

RESET_EMAIL_SENT = (
    "If an account exists for this email, we have sent it a link to reset the password."
)


class ResetLinkInvalid(InvalidInput):
    default_code = "RESET_LINK_INVALID"
    default_message = (
        "This password reset link is invalid, was already used or has expired. Ask for a new one."
    )


def password_reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.FRONTEND_URL}/reset-password/{uid}/{token}"


def password_reset_request(*, email: str) -> None:
    """Emails a reset link if `email` belongs to an active user; silent otherwise, so the
    answer (the same sentence either way) tells nobody which emails exist. The email leaves
    from a task: with a worker, the answer takes as long for a stranger as for a user."""
    user_id = (
        User.objects.filter(email__iexact=normalize_email(email), is_active=True)
        .values_list("pk", flat=True)
        .first()
    )
    if user_id is None:
        return
    from account import tasks

    transaction.on_commit(lambda: task_enqueue(tasks.password_reset_email_send, user_id))


def password_reset_email_send(*, user_id: int) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    return email_send(
        template="account/email/password_reset",
        to=user.email,
        context={
            "name": user.name or user.email,
            "reset_url": password_reset_link(user),
            "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )


def _user_from_uid(uid: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def password_reset_confirm(*, uid: str, token: str, password: str) -> User:
    """Sets the new password from a valid link; the link then stops working (the token hashed
    the old password), and every refresh token of the user is blacklisted. Opening the link
    also proves the trader reads this mailbox: the email counts as verified."""
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise ResetLinkInvalid()
    errors = password_errors(password, user)
    if errors:
        raise InvalidInput(
            f"password: {errors[0]}", code="VALIDATION_ERROR", errors={"password": errors}
        )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        # Two submissions of one link: the second finds the password changed already.
        if not default_token_generator.check_token(locked, token):
            raise ResetLinkInvalid()
        locked.set_password(password)
        locked.email_verified = True
        locked.save(update_fields=["password", "email_verified"])
        blacklist_all_refresh_tokens(locked)
    return locked
