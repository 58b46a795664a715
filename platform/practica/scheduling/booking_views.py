"""Booking and changing appointments in the back office: book from a calendar cell, an
appointment's page, reschedule, cancel, and the front-desk status changes.

Views validate input and call the booking engine (practica.scheduling.booking); the rules live
there. Reading needs VIEW_SCHEDULE, any change BOOK_APPOINTMENTS, checked here whatever the page
shows.
"""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.audit.services import record_view
from practica.eligibility.batch import CHECKED_STATUSES
from practica.eligibility.selectors import visit_badges
from practica.scheduling import calendar
from practica.scheduling import forms as setup_forms
from practica.scheduling.booking import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_status,
)
from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import Appointment
from practica.scheduling.policies import TRANSITIONS
from practica.scheduling.view_helpers import (
    STATUS_BUTTONS,
    Status,
    can,
    get_or_404,
    intake_labels,
    status_buttons,
)


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}):
        return candidate
    return default


@capability_required(Capability.BOOK_APPOINTMENTS)
def book(request: HttpRequest) -> HttpResponse:
    """Booking from an empty calendar cell: GET prefills from the cell, POST books."""
    initial: dict[str, Any] = {}
    for name in ("provider", "location", "room", "appointment_type", "patient"):
        if calendar.parse_uuid(request.GET.get(name)):
            initial[name] = request.GET[name]
    start = request.GET.get("start", "")
    try:
        local_start = datetime.datetime.fromisoformat(start) if start else None
    except ValueError:
        local_start = None
    if local_start:
        initial["date"], initial["time"] = local_start.date(), local_start.time()
    query = request.GET.get("q", "").strip()[:80]
    form = setup_forms.BookingForm(request.POST or None, initial=initial, patient_query=query)
    warning = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking = book_appointment(
                patient=data["patient"],
                appointment_type=data["appointment_type"],
                provider=data["provider"],
                location=data["location"],
                room=data["room"],
                start=data["start"],
                source=Appointment.Source.STAFF,
                booked_by_id=request.user.pk,
                override=data["override"],
            )
        except SchedulingError as error:
            form.add_error(None, error.message)
            if error.code == "outside_rules":
                warning = error.message
        else:
            for text in booking.warnings:
                messages.warning(request, f"Booked outside the rules: {text}")
            messages.success(request, "Appointment booked.")
            return redirect("appointment_detail", appointment_id=booking.appointment.pk)
    context = {"form": form, "q": query, "warning": warning, "initial_query": request.GET.urlencode()}
    return render(request, "scheduling/book.html", context, status=400 if form.errors else 200)


def _appointment(appointment_id: str) -> Appointment:
    return get_or_404(
        Appointment.objects.select_related("patient", "appointment_type", "provider", "location", "room"),
        appointment_id,
    )


def _detail(
    request: HttpRequest,
    appointment: Appointment,
    *,
    reschedule_form: setup_forms.RescheduleForm | None = None,
    cancel_form: setup_forms.CancelForm | None = None,
    warning: str = "",
    status: int = 200,
) -> HttpResponse:
    zone = ZoneInfo(appointment.location.time_zone)
    local_start = appointment.start.astimezone(zone)
    changeable = Status.RESCHEDULED in TRANSITIONS.get(appointment.status, set())
    context = {
        "appointment": appointment,
        "local_start": local_start,
        "local_end": appointment.end.astimezone(zone),
        "can_book": can(request, Capability.BOOK_APPOINTMENTS),
        "changeable": changeable,
        "buttons": status_buttons(appointment),
        "reschedule_form": reschedule_form
        or setup_forms.RescheduleForm(
            initial={
                "provider": appointment.provider_id,
                "location": appointment.location_id,
                "date": local_start.date(),
                "time": local_start.time(),
            }
        ),
        "cancel_form": cancel_form or setup_forms.CancelForm(),
        "warning": warning,
        # Once the appointment can no longer move, its forms are hidden: show their errors here.
        "errors_elsewhere": [] if changeable else [f for f in (reschedule_form, cancel_form) if f],
        "history": Appointment.objects.filter(rescheduled_to=appointment).first(),
        "intake": intake_labels([appointment]).get(appointment.pk, ""),
        "eligibility": visit_badges([appointment.patient_id], timezone.now())[appointment.patient_id],
        "can_check_eligibility": can(request, Capability.BOOK_APPOINTMENTS)
        and appointment.status in CHECKED_STATUSES,
    }
    return render(request, "scheduling/appointment.html", context, status=status)


@capability_required(Capability.VIEW_SCHEDULE)
def appointment_detail(request: HttpRequest, appointment_id: str) -> HttpResponse:
    appointment = _appointment(appointment_id)
    record_view(appointment.patient)
    return _detail(request, appointment)


@require_POST
@capability_required(Capability.BOOK_APPOINTMENTS)
def appointment_reschedule(request: HttpRequest, appointment_id: str) -> HttpResponse:
    appointment = _appointment(appointment_id)
    form = setup_forms.RescheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            booking = reschedule_appointment(
                appointment,
                start=data["start"],
                provider=data["provider"],
                location=data["location"],
                source=Appointment.Source.STAFF,
                booked_by_id=request.user.pk,
                override=data["override"],
            )
        except SchedulingError as error:
            form.add_error(None, error.message)
            warning = error.message if error.code == "outside_rules" else ""
            return _detail(request, appointment, reschedule_form=form, warning=warning, status=400)
        for text in booking.warnings:
            messages.warning(request, f"Moved outside the rules: {text}")
        messages.success(request, "Appointment moved.")
        back = request.POST.get("next", "")
        # Moved by dragging on the calendar: back to the calendar as it was (only ever a local page).
        if back.startswith("/schedule/?") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
            return redirect(back)
        return redirect("appointment_detail", appointment_id=booking.appointment.pk)
    return _detail(request, appointment, reschedule_form=form, status=400)


@require_POST
@capability_required(Capability.BOOK_APPOINTMENTS)
def appointment_cancel(request: HttpRequest, appointment_id: str) -> HttpResponse:
    appointment = _appointment(appointment_id)
    form = setup_forms.CancelForm(request.POST)
    if form.is_valid():
        try:
            # Staff act at any time; "the patient asked" only sets who cancelled (and the late flag).
            cancel_appointment(
                appointment,
                by_patient=False,
                status=Appointment.Status.CANCELLED_BY_PATIENT if form.cleaned_data["by_patient"] else None,
                reason=form.cleaned_data["reason"],
            )
        except SchedulingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Appointment cancelled.")
            return redirect("appointment_detail", appointment_id=appointment.pk)
    return _detail(request, appointment, cancel_form=form, status=400)


@require_POST
@capability_required(Capability.BOOK_APPOINTMENTS)
def appointment_status(request: HttpRequest, appointment_id: str) -> HttpResponse:
    appointment = _appointment(appointment_id)
    back = _next_url(request, reverse("appointment_detail", args=[appointment.pk]))
    new_status = request.POST.get("status", "")
    if new_status not in dict(STATUS_BUTTONS):
        messages.error(request, "Choose one of the status buttons.")
        return redirect(back)
    try:
        set_status(appointment, new_status)
    except SchedulingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{appointment.patient}: {Status(new_status).label.lower()}.")
    return redirect(back)
