"""What a view allows while its practice is suspended or read-only, declared on the view itself.

A suspended practice answers every page with a notice, except the views marked
`@open_while_suspended` (signing in and out, the owner's data export). A read-only practice (its
subscription unpaid past the grace period) refuses every write, except the views marked
`@writable_while_read_only` (signing in and out, fixing the subscription, a patient paying). A
class-based view (or DRF view set) is marked by a class attribute of the same name.

The middlewares (`tenants.middleware`, `tenants.subscriptions.grace`) read the mark from the view
the URL resolves to, not from the path's prefix: `/loginfoo` is not `/login/`, and a view moved to
another path keeps what it allows.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest
from django.urls import Resolver404, resolve

OPEN_WHILE_SUSPENDED = "open_while_suspended"
WRITABLE_WHILE_READ_ONLY = "writable_while_read_only"

View = TypeVar("View", bound=Callable[..., Any])


def open_while_suspended(view: View) -> View:
    """The view shows none of the practice's data, so it stays reachable while suspended."""
    setattr(view, OPEN_WHILE_SUSPENDED, True)
    return view


def writable_while_read_only(view: View) -> View:
    """The view's writes stay allowed while the practice is read-only."""
    setattr(view, WRITABLE_WHILE_READ_ONLY, True)
    return view


def resolved_view(request: HttpRequest) -> Callable[..., Any] | None:
    """The view the request's path resolves to (in the host's URLconf), or None for no view."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return None
    return match.func


def allows(view: Callable[..., Any] | None, mark: str) -> bool:
    if view is None:
        return False
    return bool(getattr(view, mark, False) or getattr(getattr(view, "view_class", None), mark, False))


def answers_json(view: Callable[..., Any] | None) -> bool:
    """A Django REST framework view: its refusals are JSON `{code, message}`, not a page."""
    return view is not None and hasattr(view, "cls")
