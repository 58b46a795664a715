from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from practica.audit import context
from practica.audit.context import Actor, current_actor
from practica.core.net import client_ip


def request_actor(request: HttpRequest) -> Actor:
    """The signed-in staff or billing-company user and their address; else an anonymous visitor
    (a signed-in patient is named by portal.sessions.patient_required, which knows the account)."""
    user = request.user
    agent = request.headers.get("User-Agent", "")
    if not user.is_authenticated:
        return context.visitor(client_ip(request), agent)
    return context.person(
        user_id=user.pk,
        email=getattr(user, "email", ""),
        role=getattr(request, "role", None) or "",
        ip_address=client_ip(request),
        user_agent=agent,
        billing_company=getattr(request, "billing_company", None),
    )


class AuditContextMiddleware:
    """Makes the signed-in person and their address the actor of every audited change."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_actor.set(request_actor(request))
        try:
            return self.get_response(request)
        finally:
            current_actor.reset(token)
