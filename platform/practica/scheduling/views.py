"""The staff back office for scheduling: practice setup, calendar, booking, front desk, waitlist.

Views validate input and call the booking engine (practica.scheduling.booking,
practica.scheduling.waitlist); the rules live there. Reading needs VIEW_SCHEDULE, any change to
an appointment BOOK_APPOINTMENTS, setup MANAGE_SETUP, all checked here whatever the page shows.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model, ProtectedError, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability, role_can
from practica.audit.services import record_view, record_views
from practica.intake.models import IntakeSubmission
from practica.intake.selectors import intake_status_for
from practica.scheduling import calendar, feeds
from practica.scheduling import forms as setup_forms
from practica.scheduling.booking import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_status,
)
from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import (
    Appointment,
    AppointmentType,
    ExtraHours,
    Holiday,
    Location,
    Provider,
    Room,
    TimeOff,
    WaitlistEntry,
    WeeklyHours,
)
from practica.scheduling.policies import TRANSITIONS, current_policy

Status = Appointment.Status

# The front-desk buttons, in the order a visit goes through them.
STATUS_BUTTONS = [
    (Status.CHECKED_IN, "Check in"),
    (Status.IN_ROOM, "In room"),
    (Status.COMPLETED, "Check out"),
    (Status.NO_SHOW, "No-show"),
]


# The intake line on the appointment page and the today list; types without a packet show none.
INTAKE_LABELS: dict[str, str] = {
    IntakeSubmission.Status.OPEN: "not started",
    IntakeSubmission.Status.SUBMITTED: "waiting for review",
    IntakeSubmission.Status.NEEDS_ATTENTION: "sent back to the patient",
    IntakeSubmission.Status.COMPLETE: "complete",
}


def _intake_labels(appointments: list[Appointment]) -> dict[object, str]:
    """Each appointment's intake forms status as staff read it, in two queries for any number."""
    if not appointments:
        return {}
    statuses = intake_status_for(appointments)
    return {pk: INTAKE_LABELS[status] for pk, status in statuses.items() if status in INTAKE_LABELS}


def _can(request: HttpRequest, capability: Capability) -> bool:
    return role_can(request.role, capability)  # type: ignore[attr-defined]


M = TypeVar("M", bound=Model)


def _get_or_404(queryset: QuerySet[M], object_id: str) -> M:
    """get_object_or_404 that also answers 404, not 500, for an id of the wrong shape."""
    try:
        return get_object_or_404(queryset, pk=object_id)
    except (ValidationError, ValueError) as error:
        raise Http404 from error


# --- Practice setup ----------------------------------------------------------------------------


def _local(moment: datetime.datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class SetupKind:
    """One kind of setup record: its list, its form, and whether records can be deleted."""

    title: str
    plural: str
    form: type[forms.ModelForm]
    queryset: Callable[[], QuerySet[Any]]
    columns: tuple[tuple[str, Callable[[Any, HttpRequest], object]], ...]
    deletable: bool = False
    needs_time_zone: bool = False


def _yes(value: bool) -> str:
    return "yes" if value else "no"


SETUP: dict[str, SetupKind] = {
    "locations": SetupKind(
        "Location",
        "Locations",
        setup_forms.LocationForm,
        lambda: Location.objects.all(),
        (
            ("Address", lambda o, r: o.address),
            ("Time zone", lambda o, r: o.time_zone),
            ("Active", lambda o, r: _yes(o.is_active)),
        ),
    ),
    "providers": SetupKind(
        "Provider",
        "Providers",
        setup_forms.ProviderForm,
        lambda: Provider.objects.prefetch_related("locations"),
        (
            ("NPI", lambda o, r: o.npi),
            ("Locations", lambda o, r: ", ".join(str(loc) for loc in o.locations.all())),
            ("Active", lambda o, r: _yes(o.is_active)),
        ),
    ),
    "rooms": SetupKind(
        "Room",
        "Rooms",
        setup_forms.RoomForm,
        lambda: Room.objects.select_related("location"),
        (("Location", lambda o, r: o.location.name), ("Active", lambda o, r: _yes(o.is_active))),
    ),
    "types": SetupKind(
        "Appointment type",
        "Appointment types",
        setup_forms.AppointmentTypeForm,
        lambda: AppointmentType.objects.prefetch_related("providers"),
        (
            ("Minutes", lambda o, r: o.duration_minutes),
            ("Online", lambda o, r: _yes(o.bookable_online)),
            ("New patients", lambda o, r: _yes(o.new_patients_allowed)),
            ("Room", lambda o, r: _yes(o.needs_room)),
            ("Providers", lambda o, r: ", ".join(p.display_name for p in o.providers.all()) or "all"),
            ("Active", lambda o, r: _yes(o.is_active)),
        ),
    ),
    "hours": SetupKind(
        "Weekly hours",
        "Weekly hours and breaks",
        setup_forms.WeeklyHoursForm,
        lambda: WeeklyHours.objects.select_related("provider", "location").order_by(
            "provider__display_name", "location__name", "weekday", "start_time"
        ),
        (
            ("Location", lambda o, r: o.location.name),
            ("Kind", lambda o, r: o.get_kind_display()),
            ("Day", lambda o, r: o.get_weekday_display()),
            ("Time", lambda o, r: f"{o.start_time:%H:%M} to {o.end_time:%H:%M}"),
            ("From", lambda o, r: o.effective_from),
            ("Until", lambda o, r: o.effective_until or "no end"),
        ),
        deletable=True,
    ),
    "time-off": SetupKind(
        "Time off",
        "Time off",
        setup_forms.TimeOffForm,
        lambda: TimeOff.objects.select_related("provider"),
        (
            ("From", lambda o, r: _local(o.start, r.practice.time_zone)),  # type: ignore[attr-defined]
            ("Until", lambda o, r: _local(o.end, r.practice.time_zone)),  # type: ignore[attr-defined]
            ("Reason", lambda o, r: o.reason),
        ),
        deletable=True,
        needs_time_zone=True,
    ),
    "extra-hours": SetupKind(
        "Extra hours",
        "One-off extra hours",
        setup_forms.ExtraHoursForm,
        lambda: ExtraHours.objects.select_related("provider", "location"),
        (
            ("Location", lambda o, r: o.location.name),
            ("From", lambda o, r: _local(o.start, o.location.time_zone)),
            ("Until", lambda o, r: _local(o.end, o.location.time_zone)),
        ),
        deletable=True,
    ),
    "holidays": SetupKind(
        "Practice holiday",
        "Practice holidays",
        setup_forms.HolidayForm,
        lambda: Holiday.objects.all(),
        (("Date", lambda o, r: o.date),),
        deletable=True,
    ),
}


def _setup_kind(kind: str) -> SetupKind:
    if kind not in SETUP:
        raise Http404
    return SETUP[kind]


@capability_required(Capability.VIEW_SCHEDULE)
def setup_overview(request: HttpRequest) -> HttpResponse:
    context = {
        "locations": Location.objects.all(),
        "providers": Provider.objects.prefetch_related("locations"),
        "kinds": [(slug, kind.plural) for slug, kind in SETUP.items()],
        "can_edit": _can(request, Capability.MANAGE_SETUP),
    }
    return render(request, "scheduling/setup.html", context)


@capability_required(Capability.MANAGE_SETUP)
def setup_list(request: HttpRequest, kind: str) -> HttpResponse:
    setup = _setup_kind(kind)
    rows = [(item, [value(item, request) for _, value in setup.columns]) for item in setup.queryset()]
    context = {"kind": kind, "setup": setup, "headers": [h for h, _ in setup.columns], "rows": rows}
    return render(request, "scheduling/setup_list.html", context)


@capability_required(Capability.MANAGE_SETUP)
def setup_edit(request: HttpRequest, kind: str, object_id: str | None = None) -> HttpResponse:
    setup = _setup_kind(kind)
    instance = _get_or_404(setup.queryset(), object_id) if object_id else None
    extra = {"time_zone": request.practice.time_zone} if setup.needs_time_zone else {}  # type: ignore[attr-defined]
    form = setup.form(request.POST or None, instance=instance, **extra)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{setup.title} saved.")
        return redirect("setup_list", kind=kind)
    title = f"{'Edit' if instance else 'New'} {setup.title.lower()}"
    context = {"form": form, "title": title, "kind": kind, "instance": instance, "setup": setup}
    return render(request, "scheduling/setup_edit.html", context, status=400 if form.errors else 200)


@require_POST
@capability_required(Capability.MANAGE_SETUP)
def setup_delete(request: HttpRequest, kind: str, object_id: str) -> HttpResponse:
    setup = _setup_kind(kind)
    if not setup.deletable:
        raise Http404
    instance = _get_or_404(setup.queryset(), object_id)
    try:
        instance.delete()
    except ProtectedError:
        messages.error(request, "This is still in use; make it inactive instead.")
    else:
        messages.success(request, f"{setup.title} deleted.")
    return redirect("setup_list", kind=kind)


def location_edit(request: HttpRequest, location_id: str | None = None) -> HttpResponse:
    return setup_edit(request, "locations", location_id)


def provider_edit(request: HttpRequest, provider_id: str | None = None) -> HttpResponse:
    return setup_edit(request, "providers", provider_id)


def _may_manage_feed(request: HttpRequest, provider: Provider) -> bool:
    """Setup staff manage every provider's feed; a provider manages their own."""
    own = provider.user_id is not None and provider.user_id == request.user.pk
    return own or _can(request, Capability.MANAGE_SETUP)


@capability_required(Capability.VIEW_SCHEDULE)
def provider_feed(request: HttpRequest, provider_id: str) -> HttpResponse:
    """The provider's private busy-times feed: show its URL, create or rotate it, or revoke it."""
    provider = _get_or_404(Provider.objects.all(), provider_id)
    if not _may_manage_feed(request, provider):
        return render(request, "core/forbidden.html", status=403)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "rotate":
            feeds.rotate_feed_token(provider)
            messages.success(request, "New calendar feed address made; any earlier address no longer works.")
        elif action == "revoke":
            feeds.revoke_feed(provider)
            messages.success(request, "Calendar feed turned off; its address no longer works.")
        else:
            messages.error(request, "Choose one of the buttons.")
            return render(request, "scheduling/provider_feed.html", {"provider": provider}, status=400)
        return redirect("provider_feed", provider_id=provider.pk)
    feed_url = (
        request.build_absolute_uri(reverse("provider_busy_feed", args=[provider.feed_token]))
        if provider.feed_token
        else ""
    )
    context = {"provider": provider, "feed_url": feed_url, "can_edit": _can(request, Capability.MANAGE_SETUP)}
    return render(request, "scheduling/provider_feed.html", context)


def provider_busy_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: no sign-in (calendar apps cannot), the token is the key. The token is
    looked up in this practice only, so another practice's token is as unknown as a wrong one."""
    provider = feeds.provider_for_feed_token(token)
    if provider is None:
        raise Http404("No such calendar feed.")
    body = feeds.busy_times_ics(provider, host=request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="busy.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@capability_required(Capability.MANAGE_SETUP)
def policy_edit(request: HttpRequest) -> HttpResponse:
    form = setup_forms.SchedulingPolicyForm(request.POST or None, instance=current_policy())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Scheduling policy saved.")
        return redirect("setup_overview")
    return render(
        request,
        "scheduling/setup_edit.html",
        {"form": form, "title": "Scheduling policy"},
        status=400 if form.errors else 200,
    )


# --- Calendar -----------------------------------------------------------------------------------


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
    date = _date_param(request.GET.get("date"), calendar.local_today(location))
    first = date if view == "day" else calendar.week_start(date)
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
        "can_book": _can(request, Capability.BOOK_APPOINTMENTS),
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


# --- Booking and changing appointments ----------------------------------------------------------


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
    return _get_or_404(
        Appointment.objects.select_related("patient", "appointment_type", "provider", "location", "room"),
        appointment_id,
    )


def _status_buttons(appointment: Appointment) -> list[tuple[str, str]]:
    allowed = TRANSITIONS.get(appointment.status, set())
    return [(value, label) for value, label in STATUS_BUTTONS if value in allowed]


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
        "can_book": _can(request, Capability.BOOK_APPOINTMENTS),
        "changeable": changeable,
        "buttons": _status_buttons(appointment),
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
        "intake": _intake_labels([appointment]).get(appointment.pk, ""),
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


# --- Front desk and waitlist --------------------------------------------------------------------


@capability_required(Capability.VIEW_SCHEDULE)
def today(request: HttpRequest) -> HttpResponse:
    locations = list(Location.objects.filter(is_active=True))
    if not locations:
        messages.info(request, "Add a location before using the front desk list.")
        return redirect("setup_overview")
    wanted = calendar.parse_uuid(request.GET.get("location"))
    location = next((loc for loc in locations if loc.pk == wanted), locations[0])
    appointments = calendar.today_at(location)
    record_views({a.patient_id: a.patient for a in appointments}.values())
    zone = ZoneInfo(location.time_zone)
    intake = _intake_labels(appointments)
    rows = [(a, a.start.astimezone(zone), _status_buttons(a), intake.get(a.pk, "")) for a in appointments]
    context = {
        "location": location,
        "locations": locations,
        "rows": rows,
        "date": calendar.local_today(location),
        "can_book": _can(request, Capability.BOOK_APPOINTMENTS),
        "here": request.get_full_path(),
    }
    return render(request, "scheduling/today.html", context)


@capability_required(Capability.VIEW_SCHEDULE)
def waitlist(request: HttpRequest) -> HttpResponse:
    from practica.scheduling.waitlist import join_waitlist

    can_book = _can(request, Capability.BOOK_APPOINTMENTS)
    form = setup_forms.WaitlistForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_book:
            return render(request, "core/forbidden.html", status=403)
        if form.is_valid():
            data = form.cleaned_data
            zone = ZoneInfo(request.practice.time_zone)  # type: ignore[attr-defined]
            try:
                join_waitlist(
                    patient=data["patient"],
                    appointment_type=data["appointment_type"],
                    provider=data["provider"],
                    earliest=datetime.datetime.combine(data["earliest"], datetime.time(), tzinfo=zone),
                    latest=datetime.datetime.combine(
                        data["latest"] + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
                    ),
                )
            except SchedulingError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"{data['patient']} added to the waitlist.")
                return redirect("waitlist")
        status = 400
    entries = list(
        WaitlistEntry.objects.exclude(status=WaitlistEntry.Status.CANCELLED)
        .select_related("patient", "appointment_type", "provider")
        .prefetch_related("offers__location", "offers__provider")
        .order_by("created_at")
    )
    record_views({e.patient_id: e.patient for e in entries}.values())
    context = {"entries": entries, "form": form, "can_book": can_book}
    return render(request, "scheduling/waitlist.html", context, status=status)
