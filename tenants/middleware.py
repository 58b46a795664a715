from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from practica.core.view_access import OPEN_WHILE_SUSPENDED, allows, answers_json, resolved_view
from tenants.models import Practice
from tenants.retention import purge_date


class PracticeStatusMiddleware:
    """A suspended practice shows one page that says so, and nothing of its data: every view but
    those marked @open_while_suspended (practica.core.view_access) answers with it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        request.practice = None  # type: ignore[attr-defined]
        if isinstance(tenant, Practice) and not tenant.is_public:
            request.practice = tenant  # type: ignore[attr-defined]
            if tenant.status == Practice.Status.SUSPENDED:
                return self._suspended(request, tenant)
        return self.get_response(request)

    def _suspended(self, request: HttpRequest, tenant: Practice) -> HttpResponse:
        view = resolved_view(request)
        if allows(view, OPEN_WHILE_SUSPENDED):
            return self.get_response(request)
        message = f"{tenant.name} is suspended."
        if answers_json(view):
            return JsonResponse({"code": "practice_suspended", "message": message}, status=403)
        context = {"practice_name": tenant.name, "purge_date": purge_date(tenant)}
        return render(request, "tenants/suspended.html", context, status=403)
