"""Login and register are throttled per client IP and per email address."""

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
