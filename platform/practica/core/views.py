from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from practica.accounts.decorators import staff_required
from practica.core.dashboard import first_run_checklist
from practica.core.health import health_response
from practica.core.links import public_url


def unknown_practice(request: HttpRequest) -> HttpResponse:
    """Any host that is neither the public site nor a practice domain."""
    context = {"host": request.get_host(), "public_home": public_url("/")}
    return render(request, "core/unknown_practice.html", context, status=404)


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    return health_response()


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    checklist = first_run_checklist(request.practice)  # type: ignore[attr-defined]
    context = {"checklist": checklist, "checklist_done": all(item.done for item in checklist)}
    return render(request, "core/dashboard.html", context)
