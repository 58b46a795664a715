"""Absolute links to a practice's pages, the patient portal's above all: the one place they are
built, by URL name with `reverse` (never a hard-coded path), for the practice the connection is
in. Used by every message to a patient, the portal's account emails and Twilio's callbacks."""

from django.db import connection
from django.urls import reverse

from practica.core.links import practice_url
from practica.scheduling.models import Appointment, WaitlistOffer

# Messages are built in Celery and webhooks too, where the request's urlconf is not set.
PRACTICE_URLCONF = "practica.urls_practice"


def practice_link(name: str, *args: object) -> str:
    """An absolute link to the named page on the practice's host, e.g.
    practice_link("portal:verify_email", token)."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    return practice_url(tenant.slug, reverse(name, args=args, urlconf=PRACTICE_URLCONF))


def appointment_page(appointment: Appointment) -> str:
    """Where the patient views, confirms, cancels or moves this appointment (after signing in)."""
    return practice_link("portal:appointment", appointment.pk)


def reschedule_page(appointment: Appointment) -> str:
    return practice_link("portal:appointment_reschedule", appointment.pk)


def booking_page() -> str:
    """After a cancellation there is nothing left to change: the link is to book again."""
    return practice_link("portal:book")


def message_thread_page(thread_id: object) -> str:
    """Where the patient reads a secure message (after signing in)."""
    return practice_link("portal:message_thread", thread_id)


def intake_forms_page(appointment: Appointment) -> str:
    """Where the patient fills in (or corrects) the forms for this visit."""
    return practice_link("portal:intake_fill", appointment.pk)


def waitlist_claim_page(offer: WaitlistOffer) -> str:
    """The offer's signed claim link (bound to the practice); it works until the offer closes."""
    # Imported here: the waitlist module imports the outbox to plan its notices.
    from practica.scheduling.waitlist import claim_token

    return practice_link("waitlist_claim_link", claim_token(offer))


def statements_page() -> str:
    """Where the patient reads their statements and pays (after signing in)."""
    return practice_link("portal:statements")
