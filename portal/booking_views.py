"""Booking from the portal: choose a type and location, pick an open slot, confirm. Thin: parse,
call portal.booking (the scheduling engine with source=portal), render."""

import datetime
import logging
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import stripe
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import rules, selectors
from portal.booking import book_for_patient
from portal.forms import ChooseForm
from portal.sessions import patient_required
from portal.view_helpers import DAYS_SHOWN, parse_day, parse_start, parse_uuid, slot_days
from practica.patient_billing.errors import BillingError
from practica.scheduling.errors import SchedulingError, SlotUnavailable
from practica.scheduling.models import AppointmentType, Location, Provider
from practica.scheduling.policies import current_policy

log = logging.getLogger(__name__)


def _choice(request: HttpRequest) -> tuple[AppointmentType, Location, Provider | None]:
    """The type, location and provider named in the query string, or 404."""
    appointment_type = selectors.bookable_type(parse_uuid(request.GET.get("type")))
    location_id = parse_uuid(request.GET.get("location"))
    location = selectors.active_locations().filter(pk=location_id).first() if location_id else None
    if appointment_type is None or location is None:
        raise Http404("Please choose a type of visit and a location.")
    provider = None
    if request.GET.get("provider"):
        provider = next(
            (
                p
                for p in selectors.providers_offering(appointment_type, location)
                if p.pk == parse_uuid(request.GET.get("provider"))
            ),
            None,
        )
        if provider is None:
            raise Http404("No such provider.")
    return appointment_type, location, provider


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
    first_day = parse_day(request.GET.get("from"), zone)
    base = {"type": appointment_type.pk, "location": location.pk}

    def link(slot: Any) -> str:
        query = {**base, "provider": slot.provider_id, "start": slot.start.astimezone(zone).isoformat()}
        return f"{reverse('portal:book_confirm')}?{urlencode(query)}"

    days = slot_days(appointment_type, location, provider, first_day, link)
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
    start = parse_start(request.GET.get("start"))
    zone = ZoneInfo(location.time_zone)
    status = 200
    if request.method == "POST":
        try:
            with transaction.atomic():
                booking, pay_url = book_for_patient(
                    request.portal_account,  # type: ignore[attr-defined]
                    practice=request.practice,  # type: ignore[attr-defined]
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
        except BillingError:
            messages.error(
                request,
                _(
                    "This visit needs a deposit, which the practice cannot take online yet. "
                    "Please call the practice to book it."
                ),
            )
            status = 400
        except stripe.StripeError:
            log.warning("Stripe refused a deposit checkout", exc_info=True)
            messages.error(
                request, _("The deposit payment could not be started. Nothing was booked; please try again.")
            )
            status = 502
        else:
            if pay_url is not None:
                return redirect(pay_url)
            messages.success(request, _("Your appointment is booked. We have emailed you a confirmation."))
            return redirect("portal:appointment", appointment_id=booking.appointment.pk)
    context = {
        "appointment_type": appointment_type,
        "location": location,
        "provider": provider,
        "local_start": start.astimezone(zone),
        "zone": location.time_zone,
        "rule": rules.general_rule(current_policy()),
        "deposit_cents": appointment_type.deposit_cents,
        "hold_minutes": settings.DEPOSIT_HOLD_MINUTES,
    }
    return render(request, "portal/book_confirm.html", context, status=status)
