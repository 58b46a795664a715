"""One of the patient's appointments in the portal: its page, its calendar file, paying a held
booking's deposit, and cancelling or rescheduling it within the practice's rules."""

import datetime
import logging
from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

import stripe
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications.calendar import appointment_calendar_file
from portal import rules, selectors
from portal.booking import cancel_for_patient, reschedule_for_patient
from portal.forms import CancelForm
from portal.sessions import patient_required
from portal.view_helpers import DAYS_SHOWN, local_start, parse_day, parse_start, parse_uuid, slot_days
from practica.patient_billing import deposits
from practica.scheduling.errors import SchedulingError, SlotUnavailable

log = logging.getLogger(__name__)


@patient_required
def appointment_detail(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = selectors.appointment_of(request.patient, appointment_id)  # type: ignore[attr-defined]
    context = {
        "appointment": appointment,
        "local_start": local_start(appointment),
        "local_end": appointment.end.astimezone(ZoneInfo(appointment.location.time_zone)),
        "zone": appointment.location.time_zone,
        "rule": rules.change_rule(appointment, timezone.now()),
        "hold_expires_at": selectors.deposit_hold_expiry(appointment),
    }
    return render(request, "portal/appointment.html", context)


@patient_required
def appointment_calendar(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = selectors.appointment_of(request.patient, appointment_id)  # type: ignore[attr-defined]
    response = HttpResponse(appointment_calendar_file(appointment), content_type="text/calendar")
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
            cancel_for_patient(appointment, reason=form.cleaned_data["reason"])
        except SchedulingError as error:  # e.g. the practice changed it meanwhile
            messages.error(request, error.message)
            status = 409
        else:
            messages.success(request, _("Your appointment is cancelled."))
            return redirect("portal:home")
    context = {
        "appointment": appointment,
        "local_start": local_start(appointment),
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
    first_day = parse_day(request.GET.get("from"), zone)
    confirm = reverse("portal:appointment_reschedule_confirm", args=[appointment.pk])

    def link(slot: Any) -> str:
        start = slot.start.astimezone(zone).isoformat()
        return f"{confirm}?{urlencode({'provider': slot.provider_id, 'start': start})}"

    days: list[dict[str, Any]] = []
    if rule.allowed:
        provider = None if any_provider else appointment.provider
        days = slot_days(appointment.appointment_type, location, provider, first_day, link)
    paging = {"provider": "any"} if any_provider else {}
    context = {
        "appointment": appointment,
        "local_start": local_start(appointment),
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
    provider = next((p for p in providers if p.pk == parse_uuid(request.GET.get("provider"))), None)
    if provider is None:
        raise Http404("No such provider.")
    start = parse_start(request.GET.get("start"))
    zone = ZoneInfo(appointment.location.time_zone)
    status = 200
    if request.method == "POST":
        if not rule.allowed:
            messages.error(request, rule.text)
            status = 409
        else:
            try:
                with transaction.atomic():
                    booking = reschedule_for_patient(appointment, start=start, provider=provider)
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
        "old_local_start": local_start(appointment),
        "local_start": start.astimezone(zone),
        "zone": appointment.location.time_zone,
        "provider": provider,
        "rule": rule,
    }
    return render(request, "portal/reschedule_confirm.html", context, status=status)


@require_POST
@patient_required
def appointment_deposit(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """Back to Stripe's page to pay a held booking's deposit."""
    appointment = selectors.appointment_of(request.patient, appointment_id)  # type: ignore[attr-defined]
    try:
        url = deposits.deposit_payment_url(request.practice, appointment)  # type: ignore[attr-defined]
    except stripe.StripeError:
        log.warning("Stripe refused to show a deposit's Checkout Session", exc_info=True)
        url = None
    if url is None:
        messages.error(request, _("This deposit can no longer be paid online. Please call the practice."))
        return redirect("portal:appointment", appointment_id=appointment.pk)
    return redirect(url)
