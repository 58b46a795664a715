"""What the scheduling back-office pages share: the capability check, a 404 for a bad id, the
front-desk status buttons and the intake line shown for an appointment."""

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from practica.accounts.roles import Capability, role_can
from practica.intake.models import IntakeSubmission
from practica.intake.selectors import intake_status_for
from practica.scheduling.models import (
    Appointment,
)
from practica.scheduling.policies import TRANSITIONS

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


def intake_labels(appointments: list[Appointment]) -> dict[object, str]:
    """Each appointment's intake forms status as staff read it, in two queries for any number."""
    if not appointments:
        return {}
    statuses = intake_status_for(appointments)
    return {pk: INTAKE_LABELS[status] for pk, status in statuses.items() if status in INTAKE_LABELS}


def can(request: HttpRequest, capability: Capability) -> bool:
    return role_can(request.role, capability)  # type: ignore[attr-defined]


M = TypeVar("M", bound=Model)


def get_or_404(queryset: QuerySet[M], object_id: str) -> M:
    """get_object_or_404 that also answers 404, not 500, for an id of the wrong shape."""
    try:
        return get_object_or_404(queryset, pk=object_id)
    except (ValidationError, ValueError) as error:
        raise Http404 from error


def status_buttons(appointment: Appointment) -> list[tuple[str, str]]:
    allowed = TRANSITIONS.get(appointment.status, set())
    return [(value, label) for value, label in STATUS_BUTTONS if value in allowed]
