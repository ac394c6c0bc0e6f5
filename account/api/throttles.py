"""Login and register are throttled per client IP and per email address; emails we send on
request (reset and verification links) per address."""

from rest_framework.throttling import SimpleRateThrottle

from account.models import normalize_email


class AuthIpThrottle(SimpleRateThrottle):
    scope = "auth_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthEmailThrottle(SimpleRateThrottle):
    scope = "auth_email"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not email or not isinstance(email, str):
            return None
        return self.cache_format % {"scope": self.scope, "ident": normalize_email(email)}


class EmailSendThrottle(AuthEmailThrottle):
    """Emails sent to one address on request: nobody can flood a mailbox with our links.
    The address is the body's `email`, or the signed-in user's."""

    scope = "email_send"

    def get_cache_key(self, request, view):
        key = super().get_cache_key(request, view)
        if key is None and request.user and request.user.is_authenticated:
            return self.cache_format % {
                "scope": self.scope,
                "ident": normalize_email(request.user.email),
            }
        return key
