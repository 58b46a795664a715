"""The back office's home page: a first-run checklist until the basics are set up (locations,
providers, staff). It lives with practice setup, whose pages its items link to."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from practica.accounts.decorators import staff_required
from practica.accounts.models import Invitation, Membership
from practica.scheduling.models import Location, Provider
from tenants.models import Practice


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    done: bool
    url_name: str


def first_run_checklist(practice: Practice) -> list[ChecklistItem]:
    has_staff = (
        Membership.objects.filter(practice=practice).count() > 1
        or Invitation.objects.filter(practice=practice).exists()
    )
    return [
        ChecklistItem("Add a location", Location.objects.exists(), "location_new"),
        ChecklistItem("Add your providers", Provider.objects.exists(), "provider_new"),
        ChecklistItem("Invite your staff", has_staff, "staff_list"),
    ]


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    checklist = first_run_checklist(request.practice)  # type: ignore[attr-defined]
    context = {"checklist": checklist, "checklist_done": all(item.done for item in checklist)}
    return render(request, "core/dashboard.html", context)
