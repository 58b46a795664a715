"""What a signed-in patient may see. Every query starts from the patient, so an id that belongs
to someone else simply is not found."""

import datetime
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from practica.patient_billing.models import DepositHold
from practica.patients.models import Patient
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider, WaitlistEntry
from practica.scheduling.slots import providers_for


def _patient_appointments(patient: Patient) -> QuerySet[Appointment]:
    return Appointment.objects.filter(patient=patient).select_related(
        "provider", "location", "appointment_type"
    )


def upcoming_appointments(patient: Patient, now: datetime.datetime) -> list[Appointment]:
    return list(
        _patient_appointments(patient)
        .filter(end__gt=now, status__in=[Appointment.Status.BOOKED, Appointment.Status.CONFIRMED])
        .order_by("start")
    )


def past_visits(patient: Patient, now: datetime.datetime) -> list[Appointment]:
    return list(
        _patient_appointments(patient)
        .filter(start__lt=now)
        .exclude(status=Appointment.Status.RESCHEDULED)
        .order_by("-start")[:50]
    )


def appointment_of(patient: Patient, appointment_id: UUID | str) -> Appointment:
    appointment = _patient_appointments(patient).filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def bookable_types() -> QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(is_active=True, bookable_online=True).order_by("name")


def bookable_type(type_id: UUID | None) -> AppointmentType | None:
    return bookable_types().filter(pk=type_id).first() if type_id else None


def providers_offering(appointment_type: AppointmentType, location: Location | None) -> list[Provider]:
    return providers_for(appointment_type, location)


def active_locations() -> QuerySet[Location]:
    return Location.objects.filter(is_active=True).order_by("name")


def deposit_hold_expiry(appointment: Appointment) -> datetime.datetime | None:
    """When the slot of a booking waiting for its deposit is released, if it is waiting."""
    if not appointment.awaiting_deposit:
        return None
    hold = DepositHold.objects.filter(appointment=appointment, state=DepositHold.State.HELD).first()
    return hold.hold_expires_at if hold else None


def waitlist_entry(patient: Patient, entry_id: UUID) -> WaitlistEntry | None:
    """One of the patient's own waitlist entries (another patient's is as unknown as none)."""
    return WaitlistEntry.objects.filter(patient=patient, pk=entry_id).first()


def waitlist_entries(patient: Patient) -> list[WaitlistEntry]:
    return list(
        WaitlistEntry.objects.filter(
            patient=patient, status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED]
        ).select_related("appointment_type", "provider")
    )
