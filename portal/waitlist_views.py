"""The portal's waitlist: join it, leave it, and claim a freed time offered by email."""

import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal import links, selectors
from portal.forms import WaitlistForm
from portal.sessions import patient_required
from practica.scheduling import waitlist
from practica.scheduling.errors import SchedulingError, SlotUnavailable


def _window_zone() -> ZoneInfo:
    location = selectors.active_locations().first()
    return ZoneInfo(location.time_zone if location else links.current_practice().time_zone)


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


@require_POST
@patient_required
def waitlist_leave(request: HttpRequest, entry_id: UUID) -> HttpResponse:
    entry = selectors.waitlist_entry(request.patient, entry_id)  # type: ignore[attr-defined]
    if entry is None:
        raise Http404("No such waitlist entry.")
    try:
        waitlist.leave_waitlist(entry)
    except SchedulingError:
        messages.error(request, _("You are no longer on this waitlist."))
    else:
        messages.success(request, _("You have left the waitlist. Any offer we sent you is withdrawn."))
    return redirect("portal:home")


WITHDRAWN = gettext_lazy("Sorry, this offer was withdrawn: you left the waitlist.")


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
            problems = {"expired": _("Sorry, this offer has expired."), "withdrawn": str(WITHDRAWN)}
            context["problem"] = problems.get(error.code, error.message)
        else:
            messages.success(request, _("The appointment is yours. We have emailed you a confirmation."))
            return redirect("portal:appointment", appointment_id=booking.appointment.pk)
        return render(request, "portal/claim.html", context, status=409)
    if offer.status == offer.Status.WITHDRAWN or offer.entry.status == offer.entry.Status.CANCELLED:
        context["problem"] = str(WITHDRAWN)
    elif offer.status != offer.Status.OPEN:
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
