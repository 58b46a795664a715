"""A patient's own bookings from the portal: book, reschedule and cancel through the scheduling
engine with source=portal.

What the patient is told (confirmation, moved, cancelled) is planned by the engine itself, as
notification rows in the same transaction (notifications.reminders), and sent by the workers: the
portal sends nothing of its own, so a booking gets one confirmation per channel whoever made it."""

import datetime

from django.urls import reverse

from portal.models import PortalAccount
from practica.core.links import practice_url
from practica.patient_billing.deposits import book_with_deposit
from practica.patients.models import Patient
from practica.scheduling.booking import Booking, cancel_appointment, reschedule_appointment
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from tenants.models import Practice


def book_for_patient(
    account: PortalAccount,
    *,
    practice: Practice,
    appointment_type: AppointmentType,
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    patient: Patient | None = None,
) -> tuple[Booking, str | None]:
    """Books for the account's own record, or for `patient` when a guardian acts for a child (the
    caller has checked the proxy link). A type with a deposit is held until it is paid: the
    second value is then Stripe's payment page, which returns to the appointment's page."""

    def appointment_page(appointment: Appointment) -> str:
        return practice_url(practice.slug, reverse("portal:appointment", args=[appointment.pk]))

    return book_with_deposit(
        practice,
        patient=patient or account.patient,
        appointment_type=appointment_type,
        provider=provider,
        location=location,
        start=start,
        return_url=appointment_page,
    )


def reschedule_for_patient(
    appointment: Appointment, *, start: datetime.datetime, provider: Provider
) -> Booking:
    return reschedule_appointment(
        appointment, start=start, provider=provider, source=Appointment.Source.PORTAL
    )


def cancel_for_patient(appointment: Appointment, reason: str = "") -> Appointment:
    return cancel_appointment(appointment, by_patient=True, reason=reason)
