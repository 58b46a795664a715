from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from api.errors import error_body

API_PREFIX = "/api/"


class ApiErrorsMiddleware:
    """Under a practice's /api/, a 4xx that Django gave (no such route, no role at this practice, a NUL byte
    in the address, a read-only practice, a request too large) is put in the API's
    `{code, message}` JSON like DRF's own errors, so a client never has to parse an HTML page.
    Responses already in JSON are left alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(request, "practice", None) is None  # the API is on practice hosts only
            or not request.path.startswith(API_PREFIX)
            or not 400 <= response.status_code < 500
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        message = None
        if response.get("Content-Type", "").startswith("text/plain") and not response.streaming:
            message = response.content.decode(errors="replace").strip()[:300] or None
        shaped = JsonResponse(error_body(response.status_code, message), status=response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Cache-Control", "Vary"):
            if response.has_header(header):
                shaped[header] = response[header]
        shaped.cookies = response.cookies
        return shaped
