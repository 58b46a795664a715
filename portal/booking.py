"""A patient's own bookings from the portal: book, reschedule and cancel through the scheduling
engine with source=portal, and the confirmation that follows."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.calendar import appointment_ics
from portal.emails import email_language, send_email
from portal.links import current_practice, portal_link
from portal.models import PortalAccount
from practica.core.links import practice_host
from practica.patients.models import Patient
from practica.scheduling.booking import Booking, book_appointment, cancel_appointment, reschedule_appointment
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider


def _appointment_links(appointment: Appointment) -> dict[str, str]:
    base = f"/portal/appointments/{appointment.pk}/"
    return {
        "manage": portal_link(base),
        "reschedule": portal_link(base + "reschedule/"),
        "cancel": portal_link(base + "cancel/"),
        "ics": portal_link(base + "calendar.ics"),
    }


def appointment_calendar_file(appointment: Appointment) -> bytes:
    practice = current_practice()
    return appointment_ics(
        appointment,
        practice_name=practice.name,
        manage_url=_appointment_links(appointment)["manage"],
        host=practice_host(practice.slug),
    )


def send_booking_confirmation(appointment: Appointment, account: PortalAccount, *, rescheduled: bool) -> None:
    """Confirmation email with the .ics attached. Date, time, place and links only: never the type."""
    zone = ZoneInfo(appointment.location.time_zone)
    context = {
        "practice": current_practice(),
        "local_start": appointment.start.astimezone(zone),
        "zone": appointment.location.time_zone,
        "location": appointment.location,
        "rescheduled": rescheduled,
        **_appointment_links(appointment),
    }
    # The date filter shows the current zone: make it the location's; the words, the patient's.
    with timezone.override(zone), translation.override(email_language(account.patient)):
        body = render_to_string("portal/email/booked.txt", context)
        subject = _("Your appointment has been moved") if rescheduled else _("Your appointment is booked")
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [account.email])
    message.attach("appointment.ics", appointment_calendar_file(appointment), "text/calendar")
    message.send()


def book_for_patient(
    account: PortalAccount,
    *,
    appointment_type: AppointmentType,
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    patient: Patient | None = None,
) -> Booking:
    """Books for the account's own record, or for `patient` when a guardian acts for a child (the
    caller has checked the proxy link); the confirmation goes to the account's email."""
    booking = book_appointment(
        patient=patient or account.patient,
        appointment_type=appointment_type,
        provider=provider,
        location=location,
        start=start,
        source=Appointment.Source.PORTAL,
    )
    transaction.on_commit(lambda: send_booking_confirmation(booking.appointment, account, rescheduled=False))
    return booking


def reschedule_for_patient(
    account: PortalAccount, appointment: Appointment, *, start: datetime.datetime, provider: Provider
) -> Booking:
    booking = reschedule_appointment(
        appointment, start=start, provider=provider, source=Appointment.Source.PORTAL
    )
    transaction.on_commit(lambda: send_booking_confirmation(booking.appointment, account, rescheduled=True))
    return booking


def cancel_for_patient(account: PortalAccount, appointment: Appointment, reason: str = "") -> Appointment:
    cancelled = cancel_appointment(appointment, by_patient=True, reason=reason)
    zone = ZoneInfo(appointment.location.time_zone)
    transaction.on_commit(
        lambda: send_email(
            account.email,
            gettext_lazy("Your appointment is cancelled"),
            "portal/email/cancelled.txt",
            {
                "local_start": appointment.start.astimezone(zone),
                "zone": appointment.location.time_zone,
                "late": cancelled.late_cancel,
                "book": portal_link("/portal/book/"),
            },
            zone=appointment.location.time_zone,
            language=email_language(account.patient),
        )
    )
    return cancelled
