from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from practica.core.health import health_response
from practica.core.links import public_url
from practica.core.view_access import open_while_suspended


def unknown_practice(request: HttpRequest) -> HttpResponse:
    """Any host that is neither the public site nor a practice domain."""
    context = {"host": request.get_host(), "public_home": public_url("/")}
    return render(request, "core/unknown_practice.html", context, status=404)


@open_while_suspended
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    return health_response()
