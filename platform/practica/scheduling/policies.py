"""The practice's scheduling rules, and who may change an appointment when."""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from practica.scheduling.errors import InvalidTransition, SchedulingError
from practica.scheduling.models import Appointment, SchedulingPolicy

Status = Appointment.Status

# Which status may follow which. Cancelled, rescheduled, completed and no-show are final.
TRANSITIONS: dict[str, set[str]] = {
    Status.BOOKED: {
        Status.CONFIRMED, Status.CHECKED_IN, Status.NO_SHOW, Status.CANCELLED_BY_PATIENT,
        Status.CANCELLED_BY_PRACTICE, Status.RESCHEDULED,
    },
    Status.CONFIRMED: {
        Status.CHECKED_IN, Status.NO_SHOW, Status.CANCELLED_BY_PATIENT, Status.CANCELLED_BY_PRACTICE,
        Status.RESCHEDULED,
    },
    Status.CHECKED_IN: {Status.IN_ROOM, Status.COMPLETED, Status.BOOKED},
    Status.IN_ROOM: {Status.COMPLETED, Status.CHECKED_IN},
}  # fmt: skip


def current_policy() -> SchedulingPolicy:
    policy, _ = SchedulingPolicy.objects.get_or_create(singleton=True)
    return policy


def check_transition(appointment: Appointment, new_status: str) -> None:
    if new_status not in TRANSITIONS.get(appointment.status, set()):
        raise InvalidTransition(
            f"An appointment that is {appointment.get_status_display().lower()} cannot become "
            f"{Status(new_status).label.lower()}."
        )


def is_inside_cutoff(appointment: Appointment, policy: SchedulingPolicy, now: datetime.datetime) -> bool:
    return appointment.start - now < datetime.timedelta(hours=policy.cancel_cutoff_hours)


def patient_change_allowed(
    appointment: Appointment, policy: SchedulingPolicy, now: datetime.datetime
) -> bool:
    """Whether a patient may cancel or reschedule online now; True means "yes, but late" when inside the
    cutoff and the practice flags late cancels. Raises when the practice refuses."""
    if appointment.start <= now:
        raise SchedulingError(_("This appointment has already started."), "too_late")
    if not is_inside_cutoff(appointment, policy, now):
        return False
    if policy.late_cancel == SchedulingPolicy.LateCancel.REFUSE:
        hours = policy.cancel_cutoff_hours
        closed = ngettext(
            "Online changes close %(hours)d hour before the appointment. Please call the practice.",
            "Online changes close %(hours)d hours before the appointment. Please call the practice.",
            hours,
        )
        raise SchedulingError(closed % {"hours": hours}, "inside_cutoff")
    return True
