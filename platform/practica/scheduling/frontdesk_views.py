"""The front desk's list of today's appointments at one location, with their status buttons."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.audit.services import record_views
from practica.eligibility.selectors import visit_badges
from practica.scheduling import calendar
from practica.scheduling.models import Appointment, Location
from practica.scheduling.view_helpers import can, intake_labels, status_buttons


@capability_required(Capability.VIEW_SCHEDULE)
def today(request: HttpRequest) -> HttpResponse:
    locations = list(Location.objects.filter(is_active=True))
    if not locations:
        messages.info(request, "Add a location before using the front desk list.")
        return redirect("setup_overview")
    wanted = calendar.parse_uuid(request.GET.get("location"))
    location = next((loc for loc in locations if loc.pk == wanted), locations[0])
    status = request.GET.get("status", "")
    status = status if status in Appointment.Status.values else ""
    appointments = calendar.today_at(location, status=status)
    record_views({a.patient_id: a.patient for a in appointments}.values())
    zone = ZoneInfo(location.time_zone)
    intake = intake_labels(appointments)
    badges = visit_badges([a.patient_id for a in appointments], timezone.now())
    rows = [
        (a, a.start.astimezone(zone), status_buttons(a), intake.get(a.pk, ""), badges[a.patient_id])
        for a in appointments
    ]
    context = {
        "location": location,
        "locations": locations,
        "rows": rows,
        "date": calendar.local_today(location),
        "can_book": can(request, Capability.BOOK_APPOINTMENTS),
        "here": request.get_full_path(),
        "status": status,
        "status_label": Appointment.Status(status).label if status else "",
    }
    return render(request, "scheduling/today.html", context)
