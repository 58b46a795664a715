"""The back office's first-run checklist until the basics are set up (locations, providers,
staff), shown on the home page (practica.dashboard). It lives with practice setup, whose pages
its items link to."""

from dataclasses import dataclass

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
