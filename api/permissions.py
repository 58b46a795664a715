from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from practica.accounts.roles import Capability, role_can


class IsPracticeStaff(BasePermission):
    """Signed-in staff of this practice (the access middleware has already set request.role)."""

    message = "Sign in as staff of this practice."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(
            request.user and request.user.is_authenticated and getattr(request._request, "role", None)
        )


class HasCapability(IsPracticeStaff):
    """Per-method capabilities, declared on the view as `read_capability` and `write_capability`."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        capability: Capability = view.read_capability if safe else view.write_capability
        return role_can(request._request.role, capability)  # type: ignore[attr-defined]
