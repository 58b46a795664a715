"""Read-only after the grace period: once a failed subscription payment has stayed unpaid for
SUBSCRIPTION_GRACE_DAYS, staff can view and export but not change the practice's data."""

import datetime
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tenants.models import Practice


def is_read_only(practice: Practice, now: datetime.datetime | None = None) -> bool:
    if practice.status != Practice.Status.PAST_DUE or practice.past_due_since is None:
        return False
    grace = datetime.timedelta(days=settings.SUBSCRIPTION_GRACE_DAYS)
    return (now or timezone.now()) >= practice.past_due_since + grace


# Paths that stay writable while read-only: signing in and out, and fixing the subscription.
READ_ONLY_EXEMPT_PREFIXES = ("/login", "/logout", "/handoff", "/billing/subscription/", "/health", "/pay/")


class ReadOnlyAfterGraceMiddleware:
    """After the grace period of a failed payment, staff can view and export but not change data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        practice = getattr(request, "practice", None)
        if (
            practice is not None
            and request.method not in ("GET", "HEAD", "OPTIONS")
            and not request.path.startswith(READ_ONLY_EXEMPT_PREFIXES)
            and is_read_only(practice)
        ):
            return render(request, "billing/read_only.html", {"practice_name": practice.name}, status=403)
        return self.get_response(request)
