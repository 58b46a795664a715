"""The portal's home page: the patient's upcoming appointments with what they may still change,
past visits, and waitlist entries."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal import rules, selectors
from portal.sessions import patient_required
from portal.view_helpers import local_start
from practica.scheduling.policies import current_policy


@patient_required
def home(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    now = timezone.now()
    policy = current_policy()
    upcoming = [
        {"appointment": a, "local_start": local_start(a), "rule": rules.change_rule(a, now, policy)}
        for a in selectors.upcoming_appointments(patient, now)
    ]
    past = [{"appointment": a, "local_start": local_start(a)} for a in selectors.past_visits(patient, now)]
    context = {
        "upcoming": upcoming,
        "past": past,
        "waiting": selectors.waitlist_entries(patient),
        "patient": patient,
    }
    return render(request, "portal/home.html", context)
