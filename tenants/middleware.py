from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tenants.models import Practice
from tenants.retention import purge_date

SUSPENDED_OPEN_PATHS = ("/health", "/billing/export/", "/login/", "/logout/", "/handoff/")


class PracticeStatusMiddleware:
    """A suspended practice shows one page that says so, and nothing of its data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        request.practice = None  # type: ignore[attr-defined]
        if isinstance(tenant, Practice) and not tenant.is_public:
            request.practice = tenant  # type: ignore[attr-defined]
            # Signing in and the owner's data export stay reachable (the export view checks the
            # role); neither shows any of the practice's data.
            suspended = tenant.status == Practice.Status.SUSPENDED
            if suspended and not request.path.startswith(SUSPENDED_OPEN_PATHS):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": f"{tenant.name} is suspended."}, status=403)
                context = {"practice_name": tenant.name, "purge_date": purge_date(tenant)}
                return render(request, "tenants/suspended.html", context, status=403)
        return self.get_response(request)
