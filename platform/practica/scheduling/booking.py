"""Booking, rescheduling, cancelling and status changes: every write to an appointment.

The back office, the portal and the API all call these; each rule lives here once.

- book_appointment(patient=, appointment_type=, provider=, location=, start=, source=, room=None,
  booked_by_id=None, override=False, rescheduled_from=None, now=None) -> Booking(appointment, warnings)
- reschedule_appointment(appointment, start=, source=, provider=None, location=None,
  booked_by_id=None, override=False, now=None) -> Booking
- cancel_appointment(appointment, by_patient=, reason="", now=None, status=None) -> Appointment
- set_status(appointment, new_status, reason="", now=None) -> Appointment
- deposit_received(appointment, now=None) -> Appointment: a held booking's deposit was paid

They raise SchedulingError (with a `code` and a `message` fit to show), SlotUnavailable when the
time was taken ("no longer available"), InvalidTransition for a status change the lifecycle
forbids. Times are aware datetimes; they are stored in UTC.
"""

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, OperationalError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.errors import DeadlockDetected

from notifications import reminders
from practica.claims import encounters
from practica.eligibility import tasks as eligibility_tasks
from practica.patients.models import Patient
from practica.scheduling import policies
from practica.scheduling.availability import working_time
from practica.scheduling.errors import InvalidTransition, SchedulingError, SlotUnavailable
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider, Room
from practica.scheduling.slots import booking_window

Status = Appointment.Status
PROVIDER_CONSTRAINT = "no_overlapping_provider_appointments"
ROOM_CONSTRAINT = "no_overlapping_room_appointments"
EXCLUSION_CONSTRAINTS = {PROVIDER_CONSTRAINT, ROOM_CONSTRAINT}


@dataclass
class Booking:
    appointment: Appointment
    warnings: list[str] = field(default_factory=list)


def _violated_constraint(error: IntegrityError) -> str | None:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


# Two bookings inserted at the same moment can each wait on the other's exclusion check, and
# PostgreSQL then aborts one of them as a deadlock. That one tries again: by then the other has
# committed or rolled back, so the retry books the slot or meets the constraint like anyone else.
DEADLOCK_RETRIES = 3


def _save_booking(appointment: Appointment) -> None:
    """Save a new appointment and plan its notices, in one transaction."""
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            with transaction.atomic():
                appointment.save()
                reminders.appointment_changed(appointment)
                eligibility_tasks.after_booking(appointment.id)
            return
        except OperationalError as error:
            if not isinstance(error.__cause__, DeadlockDetected) or attempt == DEADLOCK_RETRIES:
                raise


def _occupancy(appointment_type: AppointmentType, start: datetime.datetime) -> DateTimeTZRange:
    end = start + datetime.timedelta(minutes=appointment_type.duration_minutes)
    return DateTimeTZRange(
        start - datetime.timedelta(minutes=appointment_type.buffer_before_minutes),
        end + datetime.timedelta(minutes=appointment_type.buffer_after_minutes),
        "[)",
    )


def _check_request(
    *,
    patient: Patient,
    appointment_type: AppointmentType,
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    by_staff: bool,
    override: bool,
    now: datetime.datetime,
) -> list[str]:
    """Raise SchedulingError for what nobody may do; return warnings for what staff override."""
    if timezone.is_naive(start):
        raise SchedulingError("Give the start time with a time zone offset.", "invalid_time_zone")
    if start <= now:
        raise SchedulingError(_("That time is in the past."), "past")
    if not appointment_type.is_active or not provider.is_active or not location.is_active:
        raise SchedulingError(
            _("This appointment type, provider or location is not available."), "unavailable"
        )
    if not provider.locations.filter(pk=location.pk).exists():
        raise SchedulingError(
            _("%(provider)s does not work at %(location)s.")
            % {"provider": provider.display_name, "location": location.name},
            "wrong_location",
        )
    offered_by = appointment_type.providers.all()
    if offered_by.exists() and not offered_by.filter(pk=provider.pk).exists():
        raise SchedulingError(
            _("%(provider)s does not offer %(visit)s.")
            % {"provider": provider.display_name, "visit": appointment_type.name},
            "wrong_provider",
        )
    if not by_staff:
        if not appointment_type.bookable_online:
            raise SchedulingError(_("This appointment type cannot be booked online."), "not_bookable_online")
        if (
            not appointment_type.new_patients_allowed
            and not Appointment.objects.filter(patient=patient, status=Status.COMPLETED).exists()
        ):
            raise SchedulingError(
                _("This appointment type is for existing patients only."), "existing_patients_only"
            )

    problems = []
    earliest, latest = booking_window(appointment_type, now)
    if start < earliest:
        problems.append(_("This is inside the minimum notice for this appointment type."))
    if start > latest:
        problems.append(
            _("This is more than %(days)d days ahead.") % {"days": appointment_type.max_days_ahead}
        )
    end = start + datetime.timedelta(minutes=appointment_type.duration_minutes)
    hours = working_time([provider.pk], start, end, location.pk).get((provider.pk, location.pk), [])
    if not any(work_start <= start and end <= work_end for work_start, work_end in hours):
        problems.append(
            _("This is outside %(provider)s's working hours.") % {"provider": provider.display_name}
        )
    if problems and not (by_staff and override):
        raise SchedulingError(" ".join(problems), "outside_rules")
    return problems


def _free_room(location: Location, occupancy: DateTimeTZRange) -> list[Room]:
    """Rooms at the location with nothing booked in the occupancy, in a stable order."""
    taken = set(
        Appointment.objects.filter(
            room__location=location, status__in=Appointment.ACTIVE_STATUSES, occupancy__overlap=occupancy
        ).values_list("room_id", flat=True)
    )
    return [room for room in Room.objects.filter(location=location, is_active=True) if room.pk not in taken]


def book_appointment(
    *,
    patient: Patient,
    appointment_type: AppointmentType,
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    source: str,
    room: Room | None = None,
    booked_by_id: int | None = None,
    override: bool = False,
    rescheduled_from: Appointment | None = None,
    awaiting_deposit: bool = False,
    now: datetime.datetime | None = None,
) -> Booking:
    """Book one appointment. PostgreSQL's exclusion constraints are the last word on double booking:
    of any number of concurrent attempts at one slot, exactly one commits; the others get SlotUnavailable.

    `source` says where the booking came from: staff (back office), api (staff through the API) or
    portal (the patient). Staff and API callers may pass override=True to book inside the minimum
    notice, beyond the days-ahead limit or outside working hours; the Booking then carries the
    warnings to show, and the appointment is flagged outside_hours_override. Patients never can.
    `booked_by_id` is the staff user's id, kept with the appointment (who booked it).
    `awaiting_deposit` holds the slot unconfirmed (no notices) until deposit_received; only
    practica.patient_billing.deposits.book_with_deposit passes it.

    Raises SchedulingError (code says which rule) or SlotUnavailable (someone else has the time).
    """
    now = now or timezone.now()
    if source not in Appointment.Source.values:
        raise SchedulingError(f"Unknown booking source {source!r}.", "invalid_source")
    by_staff = source != Appointment.Source.PORTAL
    warnings = _check_request(
        patient=patient,
        appointment_type=appointment_type,
        provider=provider,
        location=location,
        start=start,
        by_staff=by_staff,
        override=override,
        now=now,
    )
    occupancy = _occupancy(appointment_type, start)
    if room is not None and room.location_id != location.pk:
        raise SchedulingError("That room is at another location.", "wrong_room")
    candidates: list[Room | None]
    if appointment_type.needs_room:
        candidates = [room] if room is not None else list(_free_room(location, occupancy))
        if not candidates:
            raise SlotUnavailable("This slot is no longer available: no room is free at that time.")
    else:
        candidates = [room]

    for candidate in candidates:
        appointment = Appointment(
            patient=patient,
            provider=provider,
            location=location,
            room=candidate,
            appointment_type=appointment_type,
            start=start,
            end=start + datetime.timedelta(minutes=appointment_type.duration_minutes),
            occupancy=occupancy,
            source=source,
            booked_by_id=booked_by_id,
            outside_hours_override=bool(warnings),
            rescheduled_from=rescheduled_from,
            awaiting_deposit=awaiting_deposit,
        )
        try:
            _save_booking(appointment)
        except IntegrityError as error:
            constraint = _violated_constraint(error)
            if constraint not in EXCLUSION_CONSTRAINTS:
                raise
            if constraint == PROVIDER_CONSTRAINT:
                break  # the provider is taken: every other room would fail the same way
            continue  # someone took this room a moment ago: try the next free one
        return Booking(appointment, warnings)
    raise SlotUnavailable()


def set_status(
    appointment: Appointment, new_status: str, *, reason: str = "", now: datetime.datetime | None = None
) -> Appointment:
    """Front-desk status changes: confirm, check in, in room, complete, no-show (and undoing a
    check-in). Cancellations go through cancel_appointment (as the practice) and a reschedule needs
    a new time (reschedule_appointment). Allowed moves are policies.TRANSITIONS; every change is
    written to the audit trail by the audit signals (changed field "status"). Completing opens the
    visit's encounter (practica.claims.encounters); undoing a completion keeps what was coded."""
    now = now or timezone.now()
    if new_status not in Status.values:
        raise InvalidTransition(f"Unknown status {new_status!r}.")
    if new_status in (Status.CANCELLED_BY_PATIENT, Status.CANCELLED_BY_PRACTICE):
        return cancel_appointment(appointment, by_patient=False, reason=reason, now=now, status=new_status)
    if new_status == Status.RESCHEDULED:
        raise InvalidTransition("To reschedule, choose the new time.")
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        policies.check_transition(locked, new_status)
        if new_status == Status.NO_SHOW and locked.start > now:
            raise InvalidTransition("An appointment cannot be a no-show before it starts.")
        was_completed = locked.status == Status.COMPLETED
        locked.status = new_status
        locked.save(update_fields=["status", "updated_at"])
        # The visit is billed from its encounter: opened with the completion, in this transaction.
        if new_status == Status.COMPLETED:
            encounters.open_encounter_for(locked)
        elif was_completed:
            encounters.release_encounter_for(locked)
        reminders.appointment_changed(locked)
    return locked


def cancel_appointment(
    appointment: Appointment,
    *,
    by_patient: bool,
    reason: str = "",
    now: datetime.datetime | None = None,
    status: str | None = None,
) -> Appointment:
    """Cancel. by_patient=True is the patient acting online: the practice's policy applies (refused
    inside the cutoff with a clear SchedulingError, or allowed and flagged late_cancel). Staff
    cancel at any time; `status` lets them record who asked (cancelled by patient or practice).
    The freed time is offered to the waitlist after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        new_status = status or (Status.CANCELLED_BY_PATIENT if by_patient else Status.CANCELLED_BY_PRACTICE)
        policies.check_transition(locked, new_status)
        if by_patient:
            late = policies.patient_change_allowed(locked, policies.current_policy(), now)
        else:
            # Staff recording a patient's call inside the cutoff: allowed, but flagged for the fee.
            late = new_status == Status.CANCELLED_BY_PATIENT and policies.is_inside_cutoff(
                locked, policies.current_policy(), now
            )
        locked.status = new_status
        locked.cancellation_reason = reason[:200]
        locked.late_cancel = late
        locked.save(update_fields=["status", "cancellation_reason", "late_cancel", "updated_at"])
        reminders.appointment_changed(locked)
        transaction.on_commit(lambda: _offer_freed_slot(locked, now))
    return locked


def reschedule_appointment(
    appointment: Appointment,
    *,
    start: datetime.datetime,
    source: str,
    provider: Provider | None = None,
    location: Location | None = None,
    booked_by_id: int | None = None,
    override: bool = False,
    now: datetime.datetime | None = None,
) -> Booking:
    """Move an appointment: the old one becomes "rescheduled" and a new one (linked by
    rescheduled_from) is booked with the same rules as book_appointment, atomically: if the new time
    is refused, nothing changes. From the portal the practice's cutoff policy applies as for a
    cancellation (refused, or allowed and the old appointment flagged late_cancel)."""
    now = now or timezone.now()
    with transaction.atomic():
        old = Appointment.objects.select_for_update().get(pk=appointment.pk)
        policies.check_transition(old, Status.RESCHEDULED)
        if old.awaiting_deposit:
            raise SchedulingError(
                _("This visit is waiting for its deposit: pay it, or cancel, before moving it."),
                "awaiting_deposit",
            )
        late = False
        if source == Appointment.Source.PORTAL:
            late = policies.patient_change_allowed(old, policies.current_policy(), now)
        old.status = Status.RESCHEDULED
        old.late_cancel = late
        old.save(update_fields=["status", "late_cancel", "updated_at"])
        reminders.appointment_changed(old)
        booking = book_appointment(
            patient=old.patient,
            appointment_type=old.appointment_type,
            provider=provider or old.provider,
            location=location or old.location,
            start=start,
            source=source,
            booked_by_id=booked_by_id,
            override=override,
            rescheduled_from=old,
            now=now,
        )
        transaction.on_commit(lambda: _offer_freed_slot(old, now))
    return booking


def deposit_received(appointment: Appointment, now: datetime.datetime | None = None) -> Appointment:
    """The deposit of a booking held for it was paid: the booking stands, and its confirmation and
    reminders are planned now (none were while it waited)."""
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.awaiting_deposit and locked.is_active:  # not if cancelled meanwhile
            locked.awaiting_deposit = False
            locked.save(update_fields=["awaiting_deposit", "updated_at"])
            reminders.appointment_changed(locked, now=now)
    return locked


def _offer_freed_slot(appointment: Appointment, now: datetime.datetime) -> None:
    from practica.scheduling.waitlist import offer_freed_slot  # the waitlist books through this module

    offer_freed_slot(appointment, now=now)
