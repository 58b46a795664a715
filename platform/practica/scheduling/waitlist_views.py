"""The back-office waitlist: who is waiting for an earlier time, their offers, adding a patient and
taking one off."""

import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.audit.services import record_views
from practica.scheduling import forms as setup_forms
from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import WaitlistEntry
from practica.scheduling.view_helpers import can, get_or_404


@capability_required(Capability.VIEW_SCHEDULE)
def waitlist(request: HttpRequest) -> HttpResponse:
    from practica.scheduling.waitlist import join_waitlist

    can_book = can(request, Capability.BOOK_APPOINTMENTS)
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


@require_POST
@capability_required(Capability.BOOK_APPOINTMENTS)
def waitlist_remove(request: HttpRequest, entry_id: str) -> HttpResponse:
    """Take a patient off the waitlist; offers already sent to them are withdrawn."""
    from practica.scheduling.waitlist import leave_waitlist

    entry = get_or_404(WaitlistEntry.objects.select_related("patient"), entry_id)
    try:
        withdrawn = leave_waitlist(entry)
    except SchedulingError as error:
        messages.error(request, error.message)
    else:
        note = f" and {len(withdrawn)} open offer(s) withdrawn" if withdrawn else ""
        messages.success(request, f"{entry.patient} taken off the waitlist{note}.")
    return redirect("waitlist")
