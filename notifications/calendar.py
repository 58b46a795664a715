"""The .ics file a patient gets for an appointment (attached to its confirmation, and downloaded
from the portal). Like every message it carries no clinical detail: the practice, the time, the
place and a link, never the appointment type or notes."""

import datetime

from django.db import connection
from icalendar import Calendar, Event

from notifications.links import appointment_page
from practica.core.links import practice_host
from practica.scheduling.models import Appointment


def appointment_calendar_file(appointment: Appointment) -> bytes:
    """The appointment as one calendar event, for the practice the connection is in."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    return appointment_ics(
        appointment,
        practice_name=tenant.name,
        manage_url=appointment_page(appointment),
        host=practice_host(tenant.slug),
    )


def appointment_ics(appointment: Appointment, *, practice_name: str, manage_url: str, host: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Practica//Patient portal//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@{host}")
    event.add("dtstamp", appointment.updated_at)
    # UTC times: every calendar reads them without needing the zone's VTIMEZONE rules.
    event.add("dtstart", appointment.start.astimezone(datetime.UTC))
    event.add("dtend", appointment.end.astimezone(datetime.UTC))
    event.add("summary", f"Appointment at {practice_name}")
    location = appointment.location
    event.add("location", ", ".join(part for part in (location.name, location.address) if part))
    event.add("description", f"To reschedule or cancel: {manage_url}")
    event.add("url", manage_url)
    calendar.add_component(event)
    return calendar.to_ical()
