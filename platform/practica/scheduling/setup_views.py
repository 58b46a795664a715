"""Practice setup in the back office: locations, providers, rooms, appointment types, hours, time
off, holidays, the scheduling policy, and a provider's busy-times calendar feed.

Setup needs MANAGE_SETUP (the overview VIEW_SCHEDULE); a provider may manage their own feed.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.db.models import ProtectedError, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.scheduling import availability, feeds, weekly_hours
from practica.scheduling import forms as setup_forms
from practica.scheduling.calendar import local_today
from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import (
    AppointmentType,
    ExtraHours,
    Holiday,
    Location,
    Provider,
    Room,
    TimeOff,
    WeeklyHours,
)
from practica.scheduling.policies import current_policy
from practica.scheduling.view_helpers import can, get_or_404


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
    # Saves a valid form through the service that holds the kind's rules (default: form.save()).
    save: Callable[[Any], object] | None = None


def _save_extra_hours(form: setup_forms.ExtraHoursForm) -> ExtraHours:
    """Through the service, so that the new time is offered to the waitlist."""
    block: ExtraHours = form.instance
    provider, location, start, end = block.provider, block.location, block.start, block.end
    if block._state.adding:
        return availability.add_extra_hours(provider, location, start, end)
    saved = ExtraHours.objects.get(pk=block.pk)
    return availability.change_extra_hours(saved, provider=provider, location=location, start=start, end=end)


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
        save=_save_extra_hours,
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
        "can_edit": can(request, Capability.MANAGE_SETUP),
    }
    return render(request, "scheduling/setup.html", context)


@capability_required(Capability.MANAGE_SETUP)
def setup_list(request: HttpRequest, kind: str) -> HttpResponse:
    setup = _setup_kind(kind)
    rows = [(item, [value(item, request) for _, value in setup.columns]) for item in setup.queryset()]
    context = {"kind": kind, "setup": setup, "headers": [h for h, _ in setup.columns], "rows": rows}
    if kind == "hours":
        context["providers"] = Provider.objects.filter(is_active=True)
    return render(request, "scheduling/setup_list.html", context)


@capability_required(Capability.MANAGE_SETUP)
def setup_edit(request: HttpRequest, kind: str, object_id: str | None = None) -> HttpResponse:
    setup = _setup_kind(kind)
    instance = get_or_404(setup.queryset(), object_id) if object_id else None
    extra = {"time_zone": request.practice.time_zone} if setup.needs_time_zone else {}  # type: ignore[attr-defined]
    form = setup.form(request.POST or None, instance=instance, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            if setup.save is not None:
                setup.save(form)
            else:
                form.save()
        except SchedulingError as refused:
            form.add_error(None, refused.message)
        else:
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
    instance = get_or_404(setup.queryset(), object_id)
    try:
        instance.delete()
    except ProtectedError:
        messages.error(request, "This is still in use; make it inactive instead.")
    else:
        messages.success(request, f"{setup.title} deleted.")
    return redirect("setup_list", kind=kind)


@capability_required(Capability.MANAGE_SETUP)
def provider_week(request: HttpRequest, provider_id: str) -> HttpResponse:
    """A provider's whole week at one location in one form; "copy Monday" fills other days
    without saving, so it works without JavaScript."""
    provider = get_or_404(Provider.objects.all(), provider_id)
    locations = provider.locations.filter(is_active=True)
    chosen = request.POST.get("location") or request.GET.get("location")
    location = get_or_404(locations, chosen) if chosen else locations.first()
    if location is None:
        messages.error(request, f"{provider.display_name} works at no active location yet.")
        return redirect("provider_edit", provider_id=provider.pk)
    action = request.POST.get("action", "save")
    status = 200
    if request.method == "POST" and action in COPY_MONDAY:
        data = setup_forms.WeekHoursForm.copy_monday(request.POST, COPY_MONDAY[action])
        form = setup_forms.WeekHoursForm(data, provider=provider)
    elif request.method == "POST":
        form = setup_forms.WeekHoursForm(request.POST, provider=provider)
        if form.is_valid():
            try:
                location = form.cleaned_data["location"]
                weekly_hours.set_week(provider, location, form.days(), form.cleaned_data["effective_from"])
            except weekly_hours.WeeklyHoursRefused as refused:
                for field, message in refused.problems:
                    form.add_error(f"{field}_start" if field.startswith("day") else None, message)
            else:
                messages.success(
                    request, f"Weekly hours saved for {provider.display_name} at {location.name}."
                )
                return redirect("setup_list", kind="hours")
        status = 400
    else:
        today = local_today(location)
        initial = setup_forms.WeekHoursForm.initial_for(weekly_hours.week_in_force(provider, location, today))
        form = setup_forms.WeekHoursForm(
            initial={**initial, "location": location.pk, "effective_from": today}, provider=provider
        )
    context = {"form": form, "provider": provider, "location": location, "locations": locations}
    return render(request, "scheduling/provider_week.html", context, status=status)


# The "copy Monday" buttons: which days they fill.
COPY_MONDAY = {"copy_weekdays": range(1, 5), "copy_all": range(1, 7)}


def location_edit(request: HttpRequest, location_id: str | None = None) -> HttpResponse:
    return setup_edit(request, "locations", location_id)


def provider_edit(request: HttpRequest, provider_id: str | None = None) -> HttpResponse:
    return setup_edit(request, "providers", provider_id)


def _may_manage_feed(request: HttpRequest, provider: Provider) -> bool:
    """Setup staff manage every provider's feed; a provider manages their own."""
    own = provider.user_id is not None and provider.user_id == request.user.pk
    return own or can(request, Capability.MANAGE_SETUP)


@capability_required(Capability.VIEW_SCHEDULE)
def provider_feed(request: HttpRequest, provider_id: str) -> HttpResponse:
    """The provider's private busy-times feed: show its URL, create or rotate it, or revoke it."""
    provider = get_or_404(Provider.objects.all(), provider_id)
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
    context = {"provider": provider, "feed_url": feed_url, "can_edit": can(request, Capability.MANAGE_SETUP)}
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
