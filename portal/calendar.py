"""The .ics file a patient gets for an appointment. Like the emails it carries no clinical detail:
the practice, the time, the place and links, never the appointment type or notes."""

import datetime

from icalendar import Calendar, Event

from practica.scheduling.models import Appointment


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
