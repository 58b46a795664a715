"""Read-only after the grace period: once a failed subscription payment has stayed unpaid for
SUBSCRIPTION_GRACE_DAYS, staff can view and export but not change the practice's data."""

import datetime
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from practica.core.view_access import WRITABLE_WHILE_READ_ONLY, allows, answers_json, resolved_view
from tenants.models import Practice


def is_read_only(practice: Practice, now: datetime.datetime | None = None) -> bool:
    if practice.status != Practice.Status.PAST_DUE or practice.past_due_since is None:
        return False
    grace = datetime.timedelta(days=settings.SUBSCRIPTION_GRACE_DAYS)
    return (now or timezone.now()) >= practice.past_due_since + grace


class ReadOnlyAfterGraceMiddleware:
    """After the grace period of a failed payment, staff can view and export but not change data:
    a write (any method but GET, HEAD, OPTIONS) is refused unless its view is marked
    @writable_while_read_only (practica.core.view_access)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        practice = getattr(request, "practice", None)
        if practice is None or request.method in ("GET", "HEAD", "OPTIONS") or not is_read_only(practice):
            return self.get_response(request)
        view = resolved_view(request)
        if allows(view, WRITABLE_WHILE_READ_ONLY):
            return self.get_response(request)
        if answers_json(view):
            message = (
                f"{practice.name} is read-only: the subscription payment failed and the grace period is over."
            )
            return JsonResponse({"code": "practice_read_only", "message": message}, status=403)
        return render(request, "billing/read_only.html", {"practice_name": practice.name}, status=403)
