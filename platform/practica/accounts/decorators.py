from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from practica.accounts.roles import Capability, role_can

View = Callable[..., HttpResponse]


def capability_required(*capabilities: Capability) -> Callable[[View], View]:
    """Practice staff only, and only roles with this capability, or one of these (403 page otherwise)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated or getattr(request, "practice", None) is None:
                return redirect_to_login(request.get_full_path())
            role = request.role  # type: ignore[attr-defined]
            if not any(role_can(role, capability) for capability in capabilities):
                return render(request, "core/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def staff_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated or getattr(request, "role", None) is None:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped
