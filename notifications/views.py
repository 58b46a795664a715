"""Back-office pages: the delivery log, reminder settings, templates and Twilio settings."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import capability_required
from accounts.roles import Capability
from notifications.models import InboundMessage, Notification


@capability_required(Capability.VIEW_SCHEDULE)
def delivery_log(request: HttpRequest) -> HttpResponse:
    """Every planned and sent message with its state and, for failures, the reason."""
    rows = Notification.objects.select_related("appointment__patient").order_by("-due_at")
    state = request.GET.get("state", "")
    if state in Notification.State.values:
        rows = rows.filter(state=state)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "states": Notification.State.choices,
        "state": state,
        "inbound": InboundMessage.objects.select_related("patient")[:20],
    }
    return render(request, "notifications/log.html", context)
