from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from practica.audit.context import Actor, current_actor
from practica.core.net import client_ip


class AuditContextMiddleware:
    """Makes the signed-in person and their address the actor of every audited change."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        actor = Actor(
            user_id=user.pk if user.is_authenticated else None,
            email=getattr(user, "email", "") if user.is_authenticated else "",
            role=getattr(request, "role", None) or "",
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
        )
        token = current_actor.set(actor)
        try:
            return self.get_response(request)
        finally:
            current_actor.reset(token)
