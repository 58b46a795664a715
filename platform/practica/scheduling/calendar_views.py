"""The back-office calendar: a day or week grid by provider, location or room, and the type colours."""

import datetime
import re

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.audit.services import record_views
from practica.scheduling import calendar
from practica.scheduling import forms as setup_forms
from practica.scheduling.models import AppointmentType, Location, Provider, Room
from practica.scheduling.policies import current_policy
from practica.scheduling.view_helpers import Status, can


def _date_param(value: str | None, default: datetime.date) -> datetime.date:
    try:
        date = datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default
    # Far-off dates are typos, and a week either side of year 1 or 9999 would overflow.
    return date if abs((date - default).days) <= 366 * setup_forms.YEARS_EITHER_SIDE else default


@capability_required(Capability.VIEW_SCHEDULE)
def calendar_view(request: HttpRequest) -> HttpResponse:
    """?scope=provider|location|room&id=...&location=...&date=YYYY-MM-DD&view=day|week"""
    locations = list(Location.objects.filter(is_active=True))
    if not locations:
        messages.info(request, "Add a location before using the calendar.")
        return redirect("setup_overview")
    scope = request.GET.get("scope", "location")
    if scope not in calendar.SCOPES:
        scope = "location"
    object_id = calendar.parse_uuid(request.GET.get("id"))
    location_id = calendar.parse_uuid(request.GET.get("location"))
    provider = room = None
    by_id = {loc.pk: loc for loc in locations}
    location = by_id.get(location_id) if location_id else None
    if scope == "provider":
        if object_id is None:
            raise Http404
        provider = get_object_or_404(Provider.objects.prefetch_related("locations"), pk=object_id)
        if location is None:
            location = next((loc for loc in provider.locations.all() if loc.pk in by_id), locations[0])
    elif scope == "room":
        if object_id is None:
            raise Http404
        room = get_object_or_404(Room.objects.select_related("location"), pk=object_id)
        location = room.location
    else:
        location = location or (by_id.get(object_id) if object_id else None) or locations[0]
    assert location is not None

    view = "day" if request.GET.get("view") == "day" else "week"
    # Both views start on the date asked for, today unless told: a week is today and the six days
    # after it, never a week that is mostly past.
    first = _date_param(request.GET.get("date"), calendar.local_today(location))
    days = 1 if view == "day" else 7
    grid = calendar.build_grid(
        scope=scope,
        location=location,
        first=first,
        days=days,
        step_minutes=max(current_policy().slot_step_minutes, 10),
        provider=provider,
        room=room,
    )
    record_views({a.patient_id: a.patient for a in grid.appointments}.values())
    step = datetime.timedelta(days=days)
    base = {"scope": scope, "view": view, "location": location.pk}
    if provider or room:
        base["id"] = (provider or room).pk  # type: ignore[union-attr]
    context = {
        "grid": grid,
        "view": view,
        "scope": scope,
        "locations": locations,
        "providers": Provider.objects.filter(is_active=True),
        "rooms": Room.objects.filter(is_active=True).select_related("location"),
        "types": AppointmentType.objects.filter(is_active=True),
        "statuses": Status.choices,
        "nav": base,
        "previous": first - step,
        "next": first + step,
        "today": calendar.local_today(location),
        "can_book": can(request, Capability.BOOK_APPOINTMENTS),
    }
    return render(request, "scheduling/calendar.html", context)


@capability_required(Capability.VIEW_SCHEDULE)
def type_colours(request: HttpRequest) -> HttpResponse:
    """The type colours as a stylesheet: the CSP allows no inline styles, this is served from 'self'."""
    rules = [
        f".type-{pk} {{ border-left-color: {colour}; }}\n.swatch-{pk} {{ background: {colour}; }}"
        for pk, colour in AppointmentType.objects.values_list("id", "colour")
        if re.fullmatch(r"#[0-9a-fA-F]{6}", colour)
    ]
    return HttpResponse("\n".join(rules), content_type="text/css")
