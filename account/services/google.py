"""Sign in with Google: the web app's Google button sends Google's ID token; we verify it
with the official `google-auth` library and sign the trader in, creating the user the first
time.

Verified: the signature against Google's published certificates, the audience
(GOOGLE_OAUTH_CLIENT_ID), the issuer and the expiry, then the `email_verified` claim. A user
who registered with a password and the same (verified) email is linked to the Google account,
never duplicated; the link is kept by Google's stable `sub`, so a later change of the Google
address still finds the same user.
"""

import logging
import re

import google.auth.exceptions
import requests
from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.core.cache import cache
from django.db import IntegrityError, transaction
from google.auth import transport
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import id_token as google_id_token
from rest_framework import status

from account.models import AuthProvider, User, normalize_email
from alpacabackend.api.errors import ApplicationError, InvalidInput, ServiceUnavailable

logger = logging.getLogger(__name__)

# Google's clock and ours may disagree by a few seconds.
CLOCK_SKEW_SECONDS = 10
CERTS_TIMEOUT_SECONDS = 10


class SocialLoginUnavailable(ServiceUnavailable):
    default_code = "SOCIAL_LOGIN_UNAVAILABLE"
    default_message = (
        "Google sign-in is not available on this server. Sign in with your email and password."
    )


class GoogleTokenInvalid(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "GOOGLE_TOKEN_INVALID"
    default_message = "Google could not confirm who you are. Please sign in with Google again."


class GoogleEmailNotVerified(InvalidInput):
    default_code = "GOOGLE_EMAIL_NOT_VERIFIED"
    default_message = (
        "Google has not verified this account's email address, so we cannot sign you in with "
        "it. Verify it with Google, or register with your email and a password."
    )


class AccountDisabled(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "INVALID_CREDENTIALS"
    default_message = "This account is disabled."


CERTS_CACHE_KEY = "account:google-certs:{url}"
_MAX_AGE = re.compile(r"max-age=(\d+)")


class _CachedCertificates(transport.Response):
    def __init__(self, data: bytes):
        self._data = data

    @property
    def status(self) -> int:
        return 200

    @property
    def headers(self) -> dict:
        return {}

    @property
    def data(self) -> bytes:
        return self._data


class _GoogleTransport(GoogleRequest):
    """google-auth's requests transport (plain `requests`, so the tests stub the certificate
    fetch with `responses`) with a bounded timeout; Google's certificates are kept in the
    cache for as long as Google's Cache-Control allows, so a sign-in rarely waits on Google."""

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        key = CERTS_CACHE_KEY.format(url=url)
        if method == "GET" and (cached := cache.get(key)) is not None:
            return _CachedCertificates(cached)
        response = super().__call__(
            url, method, body, headers, timeout or CERTS_TIMEOUT_SECONDS, **kwargs
        )
        if method == "GET" and response.status == 200:
            max_age = _MAX_AGE.search(response.headers.get("Cache-Control", "") or "")
            if max_age and int(max_age.group(1)) > 0:
                cache.set(key, response.data, timeout=int(max_age.group(1)))
        return response


def _transport() -> GoogleRequest:
    return _GoogleTransport(session=requests.Session())


def google_claims_verify(*, token: str) -> dict:
    """The ID token's claims once Google's signature, audience, issuer and expiry hold."""
    client_ids = list(settings.GOOGLE_OAUTH_CLIENT_ID or [])
    if not client_ids:
        raise SocialLoginUnavailable()
    try:
        claims = google_id_token.verify_oauth2_token(
            token,
            _transport(),
            audience=client_ids,
            clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
        )
    except google.auth.exceptions.TransportError as exc:
        logger.warning("Google certificates could not be fetched: %s", exc)
        raise SocialLoginUnavailable(
            "Google could not be reached to check your sign-in. Please try again in a minute.",
            code="GOOGLE_UNAVAILABLE",
        ) from exc
    except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
        logger.info("Google ID token refused: %s", exc)
        raise GoogleTokenInvalid() from exc
    if not claims.get("sub"):
        raise GoogleTokenInvalid()
    return claims


def _name_from(claims: dict, email: str) -> str:
    return (claims.get("name") or email.split("@")[0])[:150]


def _avatar_from(claims: dict) -> str:
    picture = claims.get("picture") or ""
    return picture if picture.startswith("https://") and len(picture) <= 500 else ""


def _user_for(*, sub: str, email: str, claims: dict) -> User:
    with transaction.atomic():
        user = User.objects.select_for_update().filter(google_sub=sub).first()
        if user is not None:
            return user
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None:
            # The trader registered with a password: Google vouches for the same mailbox.
            user.google_sub = sub
            user.email_verified = True
            user.save(update_fields=["google_sub", "email_verified"])
            return user
        return User.objects.create_user(
            email=email,
            password=None,  # unusable: a password can be set later by a reset link
            name=_name_from(claims, email),
            avatar=_avatar_from(claims),
            auth_provider=AuthProvider.GOOGLE,
            google_sub=sub,
            email_verified=True,
        )


def google_sign_in(*, token: str) -> User:
    """Signs in (or up) the Google account behind `token`."""
    claims = google_claims_verify(token=token)
    email = normalize_email(claims.get("email") or "")
    if not email or claims.get("email_verified") not in (True, "true"):
        raise GoogleEmailNotVerified()
    try:
        user = _user_for(sub=claims["sub"], email=email, claims=claims)
    except IntegrityError:
        # Two first sign-ins of one account raced: the other created the user.
        user = _user_for(sub=claims["sub"], email=email, claims=claims)
    if not user.is_active:
        raise AccountDisabled()
    update_last_login(None, user)
    return user
