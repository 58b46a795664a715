"""The practice's online-change rule, worded for the patient before they confirm."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import Appointment, SchedulingPolicy
from practica.scheduling.policies import current_policy, patient_change_allowed


@dataclass(frozen=True)
class ChangeRule:
    allowed: bool
    late: bool
    text: str


def general_rule(policy: SchedulingPolicy) -> str:
    hours = policy.cancel_cutoff_hours
    rule = ngettext(
        "You can cancel or reschedule online up to %(hours)d hour before your appointment.",
        "You can cancel or reschedule online up to %(hours)d hours before your appointment.",
        hours,
    ) % {"hours": hours}
    if policy.late_cancel == SchedulingPolicy.LateCancel.REFUSE:
        return rule + " " + _("After that, please call the practice.")
    if policy.late_cancel_fee_cents:
        later = _("Later changes are recorded as a late cancellation, and a fee of %(fee)s may apply.")
        return rule + " " + later % {"fee": _fee(policy)}
    return rule + " " + _("Later changes are recorded as a late cancellation.")


def _fee(policy: SchedulingPolicy) -> str:
    return f"${policy.late_cancel_fee_cents / 100:.2f}"


def change_rule(
    appointment: Appointment, now: datetime.datetime, policy: SchedulingPolicy | None = None
) -> ChangeRule:
    policy = policy or current_policy()
    if appointment.status not in (Appointment.Status.BOOKED, Appointment.Status.CONFIRMED):
        return ChangeRule(False, False, _("This appointment can no longer be changed online."))
    try:
        late = patient_change_allowed(appointment, policy, now)
    except SchedulingError as error:
        return ChangeRule(False, False, error.message)
    if late:
        hours = policy.cancel_cutoff_hours
        if policy.late_cancel_fee_cents:
            text = ngettext(
                "Your appointment is less than %(hours)d hour away: if you go ahead, it is recorded as "
                "a late cancellation, and a fee of %(fee)s may apply.",
                "Your appointment is less than %(hours)d hours away: if you go ahead, it is recorded as "
                "a late cancellation, and a fee of %(fee)s may apply.",
                hours,
            ) % {"hours": hours, "fee": _fee(policy)}
        else:
            text = ngettext(
                "Your appointment is less than %(hours)d hour away: if you go ahead, it is recorded as "
                "a late cancellation.",
                "Your appointment is less than %(hours)d hours away: if you go ahead, it is recorded as "
                "a late cancellation.",
                hours,
            ) % {"hours": hours}
        return ChangeRule(True, True, text)
    return ChangeRule(True, False, general_rule(policy))
