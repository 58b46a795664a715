from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.audit.models import AuditEvent


@capability_required(Capability.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.all()
    object_type = request.GET.get("type", "").strip()
    if object_type:
        events = events.filter(object_type=object_type)
    object_id = request.GET.get("id", "").strip()[:64]
    if object_id:
        events = events.filter(object_id=object_id)
    actor = request.GET.get("actor", "").strip()
    if actor:
        events = events.filter(Q(actor_email__icontains=actor) | Q(actor_name__icontains=actor))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"page": page, "type": object_type, "actor": actor})
