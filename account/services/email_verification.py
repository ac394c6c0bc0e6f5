"""Email verification: a signed, expiring link sent at registration (and on request).

The token is `django.core.signing.TimestampSigner` over the user's id and email, so it needs
no table, expires after EMAIL_VERIFICATION_MAX_AGE seconds, and dies when the email changes.
`email_verified` is the trader's proof of a mailbox; `is_verified` stays the firm's KYC flag.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from account.models import User
from alpacabackend.api.errors import InvalidInput
from alpacabackend.emails import email_send
from alpacabackend.queue import task_enqueue

_SALT = "account.email-verification"


class VerificationLinkInvalid(InvalidInput):
    default_code = "VERIFICATION_LINK_INVALID"
    default_message = "This verification link is not valid. Ask for a new one from your profile."


class VerificationLinkExpired(InvalidInput):
    default_code = "VERIFICATION_LINK_EXPIRED"
    default_message = "This verification link has expired. Ask for a new one from your profile."


def email_verification_token(user: User) -> str:
    return signing.TimestampSigner(salt=_SALT).sign_object({"user": user.pk, "email": user.email})


def email_verification_link(user: User, *, base_url: str = "") -> str:
    base = (settings.BACKEND_URL or base_url).rstrip("/")
    return f"{base}{reverse('account:verify-email', args=[email_verification_token(user)])}"


def email_verification_schedule(*, user: User, base_url: str = "") -> None:
    """Sends the verification email once the current transaction commits (from a task)."""
    from account import tasks

    user_id = user.pk
    transaction.on_commit(lambda: task_enqueue(tasks.verification_email_send, user_id, base_url))


def verification_email_send(*, user_id: int, base_url: str = "") -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email_verified:
        return False
    return email_send(
        template="account/email/verify_email",
        to=user.email,
        context={
            "name": user.name or user.email,
            "verify_url": email_verification_link(user, base_url=base_url),
            "valid_hours": settings.EMAIL_VERIFICATION_MAX_AGE // 3600,
        },
    )


def email_verification_resend(*, user: User, base_url: str = "") -> bool:
    """A new link for an unverified email; False (nothing sent) when it is verified already."""
    if user.email_verified:
        return False
    email_verification_schedule(user=user, base_url=base_url)
    return True


def email_verify(*, token: str) -> User:
    """Marks the link's user verified. Opening a link twice is fine; a link signed for an
    email the user no longer has is not."""
    try:
        data = signing.TimestampSigner(salt=_SALT).unsign_object(
            token, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.SignatureExpired:
        raise VerificationLinkExpired() from None
    except signing.BadSignature:
        raise VerificationLinkInvalid() from None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or user.email != data.get("email"):
        raise VerificationLinkInvalid()
    if not user.email_verified:
        User.objects.filter(pk=user.pk).update(email_verified=True)
        user.email_verified = True
    return user
