from rest_framework.permissions import BasePermission


class IsStaff(BasePermission):
    """The firm's admins only: anonymous callers get 401, traders 403."""

    message = "Only the firm's staff may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)
