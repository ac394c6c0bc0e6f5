"""Login and register throttles (atomic counters, see alpacabackend.api.throttles), and the
emails we send on request (reset and verification links), per address.

The lockout protects an account without handing its owner's login to anyone who knows the
email address:
- `auth_ip` (20/min): every auth request per client IP.
- `auth_email_ip` (5/min): per email *and* IP pair. Five wrong guesses lock out that pair,
  not the owner signing in from elsewhere.
- `auth_email` (30/min): a looser ceiling per email against guessing from many addresses. A
  known device, an (email, IP) pair that signed in successfully in the last 30 days, is not
  counted against it: the owner's own device still gets in during a distributed attack.
Counters fail open (with a logged warning) when the cache is down.
"""

import hashlib
import logging

from django.core.cache import cache

from account.models import normalize_email
from alpacabackend.api.throttles import AtomicRateThrottle, IpRateThrottle

logger = logging.getLogger(__name__)

KNOWN_DEVICE_DAYS = 30


def _email_hash(email: str) -> str:
    # Hashed: an attacker's arbitrary string never becomes a raw cache key.
    return hashlib.sha256(normalize_email(email)[:254].encode()).hexdigest()


def _email_of(request) -> str | None:
    email = request.data.get("email") if hasattr(request.data, "get") else None
    if not email or not isinstance(email, str):
        return None
    return _email_hash(email)


def _known_device_key(email_hash: str, ip: str) -> str:
    return f"auth:known:{email_hash}:{ip}"


def known_device_remember(request, email: str) -> None:
    """After a successful sign-in: this (email, IP) pair is a known device."""
    email_hash = _email_hash(email)
    ip = IpRateThrottle().get_ident(request)
    try:
        cache.set(_known_device_key(email_hash, ip), 1, timeout=KNOWN_DEVICE_DAYS * 86400)
    except Exception as exc:
        logger.warning("Known device not remembered, the cache is unavailable: %s", exc)


def _is_known_device(email_hash: str, ip: str) -> bool:
    try:
        return bool(cache.get(_known_device_key(email_hash, ip)))
    except Exception:
        return False


class AuthIpThrottle(IpRateThrottle):
    scope = "auth_ip"


class AuthEmailIpThrottle(AtomicRateThrottle):
    scope = "auth_email_ip"

    def get_ident_key(self, request, view):
        email_hash = _email_of(request)
        return None if email_hash is None else f"{email_hash}:{self.get_ident(request)}"


class AuthEmailThrottle(AtomicRateThrottle):
    scope = "auth_email"

    def get_ident_key(self, request, view):
        email_hash = _email_of(request)
        if email_hash is None or _is_known_device(email_hash, self.get_ident(request)):
            return None
        return email_hash


class EmailSendThrottle(AtomicRateThrottle):
    """Emails sent to one address on request: nobody can flood a mailbox with our links.
    The address is the body's `email`, or the signed-in user's. A known device is no
    exemption here."""

    scope = "email_send"

    def get_ident_key(self, request, view):
        email_hash = _email_of(request)
        if email_hash is None and request.user and request.user.is_authenticated:
            email_hash = _email_hash(request.user.email)
        return email_hash


AUTH_THROTTLES = [AuthIpThrottle, AuthEmailIpThrottle, AuthEmailThrottle]
