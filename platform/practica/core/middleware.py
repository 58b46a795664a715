import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from practica.core.context import request_id_var


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane one set by the proxy) for logs and audit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # for lines logged after the middleware
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-Id"] = request_id
        return response


class RejectNulBytesMiddleware:
    """PostgreSQL text cannot hold NUL bytes; a query string carrying one would reach a filter and
    fail with a server error. Forms and the API already refuse them in bodies; this covers URLs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any("\x00" in value for value in request.GET.values()):
            return HttpResponseBadRequest(
                "The address contains a character that is not allowed (NUL).",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class SignedInResponsesNotStoredMiddleware:
    """`Cache-Control: private, no-store` on every response to a request that carries a session.

    Staff pages, the patient portal and the API (session-authenticated) all show patient data to
    someone signed in; no browser, proxy or shared computer's cache may keep a copy. Going by the
    session cookie rather than by who turned out to be signed in covers staff, patients, the
    pending second-factor step and a session that ends in this very request, without reading
    the session. A view that sets its own Cache-Control (a practice logo, a download already
    marked no-store) keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response
