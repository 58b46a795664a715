"""Portal pages on the practice host. Thin: parse, call a portal service or the scheduling
engine, render. Every page that shows patient data is behind `patient_required`."""

import datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import rules, selectors, services, two_factor
from portal.errors import PortalError
from portal.forms import (
    CancelForm,
    ChooseForm,
    InviteAcceptForm,
    LoginForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
    WaitlistForm,
)
from portal.sessions import (
    end_portal_session,
    patient_required,
    session_account,
    start_pending_sign_in,
    start_portal_session,
)
from practica.scheduling import waitlist
from practica.scheduling.errors import SchedulingError, SlotUnavailable
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from practica.scheduling.policies import current_policy
from practica.scheduling.slots import open_slots

DAYS_SHOWN = 7


def _practice_or_404(request: HttpRequest) -> None:
    if getattr(request, "practice", None) is None:
        raise Http404("No such page.")


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:home")


# --- accounts -----------------------------------------------------------------------------------


def login_view(request: HttpRequest) -> HttpResponse:
    _practice_or_404(request)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.sign_in(
                form.cleaned_data["email"], form.cleaned_data["password"], _client_ip(request)
            )
        except PortalError as error:
            form.add_error(None, error.message)
        else:
            target = _next_url(request)
            if two_factor.is_enabled(account):
                start_pending_sign_in(request, account, target)
                return redirect("portal:login_code")
            start_portal_session(request, account)
            return redirect(target)
    return render(request, "portal/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if session_account(request) is not None:
        end_portal_session(request)
    messages.success(request, _("You are signed out."))
    return redirect("portal:login")


def register(request: HttpRequest) -> HttpResponse:
    _practice_or_404(request)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.note_email_request(_client_ip(request))
            services.register_patient(
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
                email=data["email"],
                password=data["password"],
                language=request.LANGUAGE_CODE,
            )
        except PortalError as error:
            form.add_error(None if error.code == "rate_limited" else "password", error.message)
        else:
            return render(request, "portal/check_email.html", {"email": data["email"]})
    return render(request, "portal/register.html", {"form": form})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    _practice_or_404(request)
    try:
        services.verify_email(token)
    except PortalError as error:
        return render(request, "portal/link_problem.html", {"message": error.message}, status=400)
    messages.success(request, _("Thank you, your email address is confirmed. You can sign in now."))
    return redirect("portal:login")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    _practice_or_404(request)
    try:
        patient = services.invited_patient(token)
    except PortalError as error:
        return render(request, "portal/link_problem.html", {"message": error.message}, status=400)
    form = InviteAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.accept_invitation(
                token,
                date_of_birth=form.cleaned_data["date_of_birth"],
                password=form.cleaned_data["password"],
            )
        except PortalError as error:
            form.add_error("date_of_birth" if error.code == "date_of_birth" else "password", error.message)
        else:
            start_portal_session(request, account)
            messages.success(request, _("Welcome! Your portal account is ready."))
            return redirect("portal:home")
    return render(request, "portal/invitation.html", {"form": form, "first_name": patient.first_name})


def password_reset_request(request: HttpRequest) -> HttpResponse:
    _practice_or_404(request)
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.note_email_request(_client_ip(request))
        except PortalError as error:
            form.add_error(None, error.message)
        else:
            services.request_password_reset(form.cleaned_data["email"])
            context = {"email": form.cleaned_data["email"], "reset": True}
            return render(request, "portal/check_email.html", context)
    return render(request, "portal/password_reset.html", {"form": form})


def password_reset_confirm(request: HttpRequest, account_id: UUID, token: str) -> HttpResponse:
    _practice_or_404(request)
    account = services.account_for_reset(str(account_id), token)
    if account is None:
        message = _("This password reset link is invalid, used or expired. Please ask for a new one.")
        return render(request, "portal/link_problem.html", {"message": message, "reset": True}, status=400)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(account, form.cleaned_data["password"])
        except PortalError as error:
            form.add_error("password", error.message)
        else:
            messages.success(request, _("Your password is changed. Please sign in."))
            return redirect("portal:login")
    return render(request, "portal/password_reset_confirm.html", {"form": form})


# --- home ---------------------------------------------------------------------------------------


def _local(appointment: Appointment) -> datetime.datetime:
    return appointment.start.astimezone(ZoneInfo(appointment.location.time_zone))


@patient_required
def home(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    now = timezone.now()
    policy = current_policy()
    upcoming = [
        {"appointment": a, "local_start": _local(a), "rule": rules.change_rule(a, now, policy)}
        for a in selectors.upcoming_appointments(patient, now)
    ]
    past = [{"appointment": a, "local_start": _local(a)} for a in selectors.past_visits(patient, now)]
    context = {
        "upcoming": upcoming,
        "past": past,
        "waiting": selectors.waitlist_entries(patient),
        "patient": patient,
    }
    return render(request, "portal/home.html", context)


# --- booking ------------------------------------------------------------------------------------


def _parse_day(value: str | None, zone: ZoneInfo) -> datetime.date:
    today = timezone.now().astimezone(zone).date()
    try:
        day = datetime.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return max(day, today)


def _slot_days(
    appointment_type: AppointmentType,
    location: Location,
    provider: Provider | None,
    first_day: datetime.date,
    link: Any,
) -> list[dict[str, Any]]:
    """Open slots for DAYS_SHOWN days from first_day, grouped by the location's local day."""
    zone = ZoneInfo(location.time_zone)
    start = datetime.datetime.combine(first_day, datetime.time(), zone)
    end = datetime.datetime.combine(first_day + datetime.timedelta(days=DAYS_SHOWN), datetime.time(), zone)
    step = current_policy().slot_step_minutes
    slots = open_slots(appointment_type, start, end, provider=provider, location=location, step_minutes=step)
    names = {p.pk: p.display_name for p in Provider.objects.filter(pk__in={s.provider_id for s in slots})}
    days: dict[datetime.date, list[dict[str, Any]]] = {}
    for slot in slots:
        local = slot.start.astimezone(zone)
        days.setdefault(local.date(), []).append(
            {"local": local, "provider": names.get(slot.provider_id, ""), "url": link(slot)}
        )
    return [{"day": day, "slots": day_slots} for day, day_slots in sorted(days.items())]


def _choice(request: HttpRequest) -> tuple[AppointmentType, Location, Provider | None]:
    """The type, location and provider named in the query string, or 404."""
    appointment_type = selectors.bookable_type(_uuid(request.GET.get("type")))
    location_id = _uuid(request.GET.get("location"))
    location = selectors.active_locations().filter(pk=location_id).first() if location_id else None
    if appointment_type is None or location is None:
        raise Http404("Please choose a type of visit and a location.")
    provider = None
    if request.GET.get("provider"):
        provider = next(
            (
                p
                for p in selectors.providers_offering(appointment_type, location)
                if p.pk == _uuid(request.GET.get("provider"))
            ),
            None,
        )
        if provider is None:
            raise Http404("No such provider.")
    return appointment_type, location, provider


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _start(value: str | None) -> datetime.datetime:
    try:
        start = datetime.datetime.fromisoformat(value or "")
    except ValueError as error:
        raise Http404("No such time.") from error
    if timezone.is_naive(start):
        raise Http404("No such time.")
    return start


@patient_required
def book_choose(request: HttpRequest) -> HttpResponse:
    form = ChooseForm(request.GET or None)
    if request.GET and form.is_valid():
        data = form.cleaned_data
        query = {"type": data["appointment_type"].pk, "location": data["location"].pk}
        if data["provider"]:
            query["provider"] = data["provider"].pk
        return redirect(f"{reverse('portal:book_slots')}?{urlencode(query)}")
    no_types = not selectors.bookable_types().exists()
    return render(request, "portal/book_choose.html", {"form": form, "no_types": no_types})


@patient_required
def book_slots(request: HttpRequest) -> HttpResponse:
    appointment_type, location, provider = _choice(request)
    zone = ZoneInfo(location.time_zone)
    first_day = _parse_day(request.GET.get("from"), zone)
    base = {"type": appointment_type.pk, "location": location.pk}

    def link(slot: Any) -> str:
        query = {**base, "provider": slot.provider_id, "start": slot.start.astimezone(zone).isoformat()}
        return f"{reverse('portal:book_confirm')}?{urlencode(query)}"

    days = _slot_days(appointment_type, location, provider, first_day, link)
    paging = {**base, **({"provider": provider.pk} if provider else {})}
    context = {
        "appointment_type": appointment_type,
        "location": location,
        "provider": provider,
        "zone": location.time_zone,
        "days": days,
        "first_day": first_day,
        "later": f"?{urlencode({**paging, 'from': first_day + datetime.timedelta(days=DAYS_SHOWN)})}",
        "earlier": f"?{urlencode({**paging, 'from': first_day - datetime.timedelta(days=DAYS_SHOWN)})}",
        "can_go_back": first_day > timezone.now().astimezone(zone).date(),
        "waitlist_url": reverse("portal:waitlist"),
    }
    return render(request, "portal/book_slots.html", context)


@patient_required
def book_confirm(request: HttpRequest) -> HttpResponse:
    appointment_type, location, provider = _choice(request)
    if provider is None:
        raise Http404("No such provider.")
    start = _start(request.GET.get("start"))
    zone = ZoneInfo(location.time_zone)
    status = 200
    if request.method == "POST":
        try:
            with transaction.atomic():
                booking = services.book_for_patient(
                    request.portal_account,  # type: ignore[attr-defined]
                    appointment_type=appointment_type,
                    provider=provider,
                    location=location,
                    start=start,
                    patient=request.patient,  # type: ignore[attr-defined]
                )
        except SlotUnavailable:
            messages.error(
                request, _("Sorry, that time was just taken by someone else. Please choose another.")
            )
            query = {
                "type": appointment_type.pk,
                "location": location.pk,
                "from": start.astimezone(zone).date(),
            }
            return redirect(f"{reverse('portal:book_slots')}?{urlencode(query)}")
        except SchedulingError as error:
            messages.error(request, error.message)
            status = 400
        else:
            messages.success(request, _("Your appointment is booked. We have emailed you a confirmation."))
            return redirect("portal:appointment", appointment_id=booking.appointment.pk)
    context = {
        "appointment_type": appointment_type,
        "location": location,
        "provider": provider,
        "local_start": start.astimezone(zone),
        "zone": location.time_zone,
        "rule": rules.general_rule(current_policy()),
    }
    return render(request, "portal/book_confirm.html", context, status=status)


# --- one appointment ------------------------------------------------------------------------------


@patient_required
def appointment_detail(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = selectors.appointment_of(request.patient, appointment_id)  # type: ignore[attr-defined]
    context = {
        "appointment": appointment,
        "local_start": _local(appointment),
        "local_end": appointment.end.astimezone(ZoneInfo(appointment.location.time_zone)),
        "zone": appointment.location.time_zone,
        "rule": rules.change_rule(appointment, timezone.now()),
    }
    return render(request, "portal/appointment.html", context)


@patient_required
def appointment_calendar(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = selectors.appointment_of(request.patient, appointment_id)  # type: ignore[attr-defined]
    response = HttpResponse(services.appointment_calendar_file(appointment), content_type="text/calendar")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@patient_required
def appointment_cancel(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = selectors.appointment_of(request.patient, appointment_id)  # type: ignore[attr-defined]
    rule = rules.change_rule(appointment, timezone.now())
    form = CancelForm(request.POST if request.method == "POST" else None)
    status = 409 if request.method == "POST" and not rule.allowed else 200
    if request.method == "POST" and rule.allowed and form.is_valid():
        try:
            services.cancel_for_patient(
                request.portal_account,  # type: ignore[attr-defined]
                appointment,
                reason=form.cleaned_data["reason"],
            )
        except SchedulingError as error:  # e.g. the practice changed it meanwhile
            messages.error(request, error.message)
            status = 409
        else:
            messages.success(request, _("Your appointment is cancelled."))
            return redirect("portal:home")
    context = {
        "appointment": appointment,
        "local_start": _local(appointment),
        "zone": appointment.location.time_zone,
        "rule": rule,
        "form": form,
    }
    return render(request, "portal/cancel.html", context, status=status)


@patient_required
def appointment_reschedule(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = selectors.appointment_of(request.patient, appointment_id)  # type: ignore[attr-defined]
    rule = rules.change_rule(appointment, timezone.now())
    location = appointment.location
    zone = ZoneInfo(location.time_zone)
    any_provider = request.GET.get("provider") == "any"
    first_day = _parse_day(request.GET.get("from"), zone)
    confirm = reverse("portal:appointment_reschedule_confirm", args=[appointment.pk])

    def link(slot: Any) -> str:
        start = slot.start.astimezone(zone).isoformat()
        return f"{confirm}?{urlencode({'provider': slot.provider_id, 'start': start})}"

    days: list[dict[str, Any]] = []
    if rule.allowed:
        provider = None if any_provider else appointment.provider
        days = _slot_days(appointment.appointment_type, location, provider, first_day, link)
    paging = {"provider": "any"} if any_provider else {}
    context = {
        "appointment": appointment,
        "local_start": _local(appointment),
        "rule": rule,
        "days": days,
        "zone": location.time_zone,
        "any_provider": any_provider,
        "later": f"?{urlencode({**paging, 'from': first_day + datetime.timedelta(days=DAYS_SHOWN)})}",
        "earlier": f"?{urlencode({**paging, 'from': first_day - datetime.timedelta(days=DAYS_SHOWN)})}",
        "can_go_back": first_day > timezone.now().astimezone(zone).date(),
    }
    return render(request, "portal/reschedule.html", context)


@patient_required
def appointment_reschedule_confirm(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = selectors.appointment_of(request.patient, appointment_id)  # type: ignore[attr-defined]
    rule = rules.change_rule(appointment, timezone.now())
    providers = selectors.providers_offering(appointment.appointment_type, appointment.location)
    provider = next((p for p in providers if p.pk == _uuid(request.GET.get("provider"))), None)
    if provider is None:
        raise Http404("No such provider.")
    start = _start(request.GET.get("start"))
    zone = ZoneInfo(appointment.location.time_zone)
    status = 200
    if request.method == "POST":
        if not rule.allowed:
            messages.error(request, rule.text)
            status = 409
        else:
            try:
                with transaction.atomic():
                    booking = services.reschedule_for_patient(
                        request.portal_account,  # type: ignore[attr-defined]
                        appointment,
                        start=start,
                        provider=provider,
                    )
            except SlotUnavailable:
                messages.error(
                    request, _("Sorry, that time was just taken by someone else. Please choose another.")
                )
                return redirect("portal:appointment_reschedule", appointment_id=appointment.pk)
            except SchedulingError as error:
                messages.error(request, error.message)
                status = 409
            else:
                messages.success(request, _("Your appointment is moved. We have emailed you the new time."))
                return redirect("portal:appointment", appointment_id=booking.appointment.pk)
    context = {
        "appointment": appointment,
        "old_local_start": _local(appointment),
        "local_start": start.astimezone(zone),
        "zone": appointment.location.time_zone,
        "provider": provider,
        "rule": rule,
    }
    return render(request, "portal/reschedule_confirm.html", context, status=status)


# --- waitlist -------------------------------------------------------------------------------------


def _window_zone() -> ZoneInfo:
    location = selectors.active_locations().first()
    return ZoneInfo(location.time_zone if location else services.current_practice().time_zone)


@patient_required
def waitlist_join(request: HttpRequest) -> HttpResponse:
    form = WaitlistForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        zone = _window_zone()
        try:
            waitlist.join_waitlist(
                patient=request.patient,  # type: ignore[attr-defined]
                appointment_type=data["appointment_type"],
                provider=data["provider"],
                earliest=datetime.datetime.combine(data["earliest"], datetime.time(), zone),
                latest=datetime.datetime.combine(
                    data["latest"] + datetime.timedelta(days=1), datetime.time(), zone
                ),
            )
        except SchedulingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("You are on the waitlist. We will email you if a time frees up."))
            return redirect("portal:home")
    return render(request, "portal/waitlist.html", {"form": form})


@patient_required
def waitlist_claim(request: HttpRequest, token: str) -> HttpResponse:
    offer = waitlist.offer_from_token(token)
    if offer is None or offer.entry.patient_id != request.patient.pk:  # type: ignore[attr-defined]
        raise Http404("No such offer.")
    zone = ZoneInfo(offer.location.time_zone)
    context: dict[str, Any] = {"offer": offer, "local_start": offer.start.astimezone(zone), "zone": str(zone)}
    if request.method == "POST":
        try:
            booking = waitlist.claim_offer(offer)
        except SlotUnavailable:
            context["problem"] = _("Sorry, this slot is gone: someone else claimed it first.")
        except SchedulingError as error:
            context["problem"] = (
                _("Sorry, this offer has expired.") if error.code == "expired" else error.message
            )
        else:
            account = request.portal_account  # type: ignore[attr-defined]
            transaction.on_commit(
                lambda: services.send_booking_confirmation(booking.appointment, account, rescheduled=False)
            )
            messages.success(request, _("The appointment is yours. We have emailed you a confirmation."))
            return redirect("portal:appointment", appointment_id=booking.appointment.pk)
        return render(request, "portal/claim.html", context, status=409)
    if offer.status != offer.Status.OPEN:
        context["problem"] = _("Sorry, this slot is gone: someone else claimed it first.")
        if offer.status == offer.Status.EXPIRED:
            context["problem"] = _("Sorry, this offer has expired.")
        elif offer.status == offer.Status.CLAIMED:
            context["problem"] = _("You have already claimed this appointment.")
    elif offer.expires_at <= timezone.now():
        context["problem"] = _("Sorry, this offer has expired.")
    else:
        context["local_expires"] = offer.expires_at.astimezone(zone)
    return render(request, "portal/claim.html", context)


def waitlist_claim_link(request: HttpRequest, token: str) -> HttpResponse:
    return redirect("portal:waitlist_claim", token=token)
