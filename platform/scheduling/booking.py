"""Booking, rescheduling, cancelling and status changes: every write to an appointment."""

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from notifications import reminders
from patients.models import Patient
from scheduling import policies
from scheduling.availability import working_time
from scheduling.errors import SchedulingError, SlotUnavailable
from scheduling.models import Appointment, AppointmentType, Location, Provider, Room
from scheduling.slots import booking_window

Status = Appointment.Status
EXCLUSION_CONSTRAINTS = {"no_overlapping_provider_appointments", "no_overlapping_room_appointments"}


@dataclass
class Booking:
    appointment: Appointment
    warnings: list[str] = field(default_factory=list)


def _is_double_booking(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) in EXCLUSION_CONSTRAINTS


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
        raise SchedulingError("That time is in the past.", "past")
    if not appointment_type.is_active or not provider.is_active or not location.is_active:
        raise SchedulingError("This appointment type, provider or location is not available.", "unavailable")
    if not provider.locations.filter(pk=location.pk).exists():
        raise SchedulingError(f"{provider.display_name} does not work at {location.name}.", "wrong_location")
    offered_by = appointment_type.providers.all()
    if offered_by.exists() and not offered_by.filter(pk=provider.pk).exists():
        raise SchedulingError(
            f"{provider.display_name} does not offer {appointment_type.name}.", "wrong_provider"
        )
    if not by_staff:
        if not appointment_type.bookable_online:
            raise SchedulingError("This appointment type cannot be booked online.", "not_bookable_online")
        if (
            not appointment_type.new_patients_allowed
            and not Appointment.objects.filter(patient=patient, status=Status.COMPLETED).exists()
        ):
            raise SchedulingError(
                "This appointment type is for existing patients only.", "existing_patients_only"
            )

    problems = []
    earliest, latest = booking_window(appointment_type, now)
    if start < earliest:
        problems.append("This is inside the minimum notice for this appointment type.")
    if start > latest:
        problems.append(f"This is more than {appointment_type.max_days_ahead} days ahead.")
    end = start + datetime.timedelta(minutes=appointment_type.duration_minutes)
    hours = working_time([provider.pk], start, end, location.pk).get((provider.pk, location.pk), [])
    if not any(work_start <= start and end <= work_end for work_start, work_end in hours):
        problems.append(f"This is outside {provider.display_name}'s working hours.")
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
    now: datetime.datetime | None = None,
) -> Booking:
    """Book one appointment. PostgreSQL's exclusion constraints are the last word on double booking:
    of any number of concurrent attempts at one slot, exactly one commits; the others get SlotUnavailable.

    Staff (source=staff) may pass override=True to book outside notice/working hours; the result
    then carries the warnings to show.
    """
    now = now or timezone.now()
    by_staff = source == Appointment.Source.STAFF
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
            raise SlotUnavailable("No room is free at that time.")
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
        )
        try:
            with transaction.atomic():
                appointment.save()
                reminders.appointment_changed(appointment)
        except IntegrityError as error:
            if not _is_double_booking(error):
                raise
            continue  # the provider is taken (every room will fail too) or this room is: try the next
        return Booking(appointment, warnings)
    raise SlotUnavailable()


def set_status(appointment: Appointment, new_status: str, *, reason: str = "") -> Appointment:
    """Front-desk status changes (confirm, check in, in room, complete, no-show)."""
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        policies.check_transition(locked, new_status)
        locked.status = new_status
        if reason:
            locked.cancellation_reason = reason[:200]
        locked.save(update_fields=["status", "cancellation_reason", "updated_at"])
        reminders.appointment_changed(locked)
    _after_slot_freed(locked, was_active=appointment.is_active)
    return locked


def cancel_appointment(
    appointment: Appointment, *, by_patient: bool, reason: str = "", now: datetime.datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        new_status = Status.CANCELLED_BY_PATIENT if by_patient else Status.CANCELLED_BY_PRACTICE
        policies.check_transition(locked, new_status)
        late = (
            policies.patient_change_allowed(locked, policies.current_policy(), now) if by_patient else False
        )
        locked.status = new_status
        locked.cancellation_reason = reason[:200]
        locked.late_cancel = late
        locked.save(update_fields=["status", "cancellation_reason", "late_cancel", "updated_at"])
        reminders.appointment_changed(locked)
        transaction.on_commit(lambda: _offer_freed_slot(locked))
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
    """Move an appointment: the old one becomes "rescheduled" and a new one is booked, atomically."""
    now = now or timezone.now()
    with transaction.atomic():
        old = Appointment.objects.select_for_update().get(pk=appointment.pk)
        policies.check_transition(old, Status.RESCHEDULED)
        late = False
        if source != Appointment.Source.STAFF:
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
        transaction.on_commit(lambda: _offer_freed_slot(old))
    return booking


def _after_slot_freed(appointment: Appointment, *, was_active: bool) -> None:
    if was_active and not appointment.is_active and appointment.start > timezone.now():
        transaction.on_commit(lambda: _offer_freed_slot(appointment))


def _offer_freed_slot(appointment: Appointment) -> None:
    from scheduling.waitlist import offer_freed_slot

    offer_freed_slot(appointment)
