"""The practice's online-change rule, worded for the patient before they confirm."""

import datetime
from dataclasses import dataclass

from scheduling.errors import SchedulingError
from scheduling.models import Appointment, SchedulingPolicy
from scheduling.policies import current_policy, patient_change_allowed


@dataclass(frozen=True)
class ChangeRule:
    allowed: bool
    late: bool
    text: str


def general_rule(policy: SchedulingPolicy) -> str:
    hours = policy.cancel_cutoff_hours
    rule = f"You can cancel or reschedule online up to {hours} hours before your appointment."
    if policy.late_cancel == SchedulingPolicy.LateCancel.REFUSE:
        return rule + " After that, please call the practice."
    return rule + f" Later changes are recorded as a late cancellation{_fee(policy)}."


def _fee(policy: SchedulingPolicy) -> str:
    if not policy.late_cancel_fee_cents:
        return ""
    return f", and a fee of ${policy.late_cancel_fee_cents / 100:.2f} may apply"


def change_rule(
    appointment: Appointment, now: datetime.datetime, policy: SchedulingPolicy | None = None
) -> ChangeRule:
    policy = policy or current_policy()
    if appointment.status not in (Appointment.Status.BOOKED, Appointment.Status.CONFIRMED):
        return ChangeRule(False, False, "This appointment can no longer be changed online.")
    try:
        late = patient_change_allowed(appointment, policy, now)
    except SchedulingError as error:
        return ChangeRule(False, False, error.message)
    if late:
        return ChangeRule(
            True,
            True,
            f"Your appointment is less than {policy.cancel_cutoff_hours} hours away: if you go ahead, "
            f"it is recorded as a late cancellation{_fee(policy)}.",
        )
    return ChangeRule(True, False, general_rule(policy))
