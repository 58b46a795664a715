from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from practica.accounts.selectors import access_in_practice
from practica.accounts.sessions import PUBLIC_SITE, end_session, session_practice

# Paths a signed-in person may reach before finishing two-factor set-up.
TWO_FACTOR_EXEMPT_PREFIXES = ("/login", "/logout", "/account/two-factor", "/static/", "/health")


class PracticeAccessMiddleware:
    """Works out the signed-in person's role at this practice on every request.

    Someone with no role here, or a session opened at another practice, sees 404 for
    everything: a practice's pages neither show nor admit the existence of its data.
    A person who lost their role is signed out as well.

    On the public site, only a session opened on the public site counts: a practice's session
    cookie presented there is a stranger's (it could otherwise mint hand-offs into the person's
    other practices). The session itself is left alone; it still works where it was opened.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.role = None  # type: ignore[attr-defined]
        request.billing_company = None  # type: ignore[attr-defined]
        practice = getattr(request, "practice", None)
        user = request.user
        if practice is None and user.is_authenticated and session_practice(request) != PUBLIC_SITE:
            request.user = AnonymousUser()
            return self.get_response(request)
        if practice is not None and user.is_authenticated:
            if session_practice(request) != practice.schema_name:
                raise Http404("No such page.")
            access = access_in_practice(user, practice)
            if access is None:
                # Deactivated, or their billing company's access was revoked: this request sees
                # nothing, and the session ends so the browser can be used to sign in again.
                end_session(request)
                raise Http404("No such page.")
            request.role = access.role  # type: ignore[attr-defined]
            request.billing_company = access.billing_company  # type: ignore[attr-defined]
            if (
                practice.require_staff_two_factor
                and not user.is_verified()  # type: ignore[attr-defined]  # added by OTPMiddleware
                and not request.path.startswith(TWO_FACTOR_EXEMPT_PREFIXES)
            ):
                if request.path.startswith("/api/"):
                    message = "Set up two-factor sign-in in the back office first."
                    return JsonResponse({"code": "two_factor_required", "message": message}, status=403)
                return redirect("two_factor_setup")
        return self.get_response(request)
