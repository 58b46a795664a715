"""Planning the notices that are not about a booking change: waitlist offers and "taken" notices,
and forms follow-ups. Called by the domain's write path inside its transaction, so the notice and
the change commit together (or neither does); the workers send them (notifications.delivery).

By email, as these have always gone; a patient without an address gets a skipped row, so the
practice's delivery log says why nothing went out."""

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils import timezone

from notifications.models import Channel, Kind, Notification
from notifications.reminders import note_due_work
from practica.patients.models import Patient
from practica.scheduling.models import Appointment, WaitlistOffer

if TYPE_CHECKING:
    from practica.statements.models import Statement

State = Notification.State


def plan_waitlist_offers(offers: Iterable[WaitlistOffer], now: datetime.datetime | None = None) -> None:
    """Each waiting patient offered a freed time is told, with the link to claim it."""
    _plan(
        [
            (Notification(waitlist_offer=offer, kind=Kind.WAITLIST_OFFER), offer.entry.patient)
            for offer in offers
        ],
        now,
    )


def plan_waitlist_taken(offers: Iterable[WaitlistOffer], now: datetime.datetime | None = None) -> None:
    """The others offered the same time are told someone claimed it first (they wait again)."""
    _plan(
        [
            (Notification(waitlist_offer=offer, kind=Kind.WAITLIST_TAKEN), offer.entry.patient)
            for offer in offers
        ],
        now,
    )


def plan_intake_follow_up(appointment: Appointment, now: datetime.datetime | None = None) -> None:
    """Staff found the visit's forms incomplete: the patient is asked to finish them."""
    _plan([(Notification(appointment=appointment, kind=Kind.INTAKE_FOLLOW_UP), appointment.patient)], now)


def plan_statement_notice(
    statement: "Statement", kind: str, *, email: bool, sms: bool, now: datetime.datetime | None = None
) -> list[Notification]:
    """A statement is ready (or, from dunning, still open): by email and/or SMS, in the caller's
    transaction. SMS only with the patient's consent and a number; quiet hours are applied by the
    worker when it sends (in the practice's time zone)."""
    now = now or timezone.now()
    rows = []
    if email:
        row = Notification(statement=statement, kind=kind, channel=Channel.EMAIL, due_at=now)
        if not statement.patient.email:
            row.state = State.SKIPPED
            row.error_code = "no_email"
            row.error_message = "The patient has no email address."
        rows.append(row)
    if sms:
        rows.append(Notification(statement=statement, kind=kind, channel=Channel.SMS, due_at=now))
    created = Notification.objects.bulk_create(rows)
    if any(row.state == State.SCHEDULED for row in created):
        note_due_work(now)
    return created


def _plan(rows: list[tuple[Notification, Patient]], now: datetime.datetime | None) -> None:
    now = now or timezone.now()
    for row, patient in rows:
        row.channel = Channel.EMAIL
        row.due_at = now
        if not patient.email:
            row.state = State.SKIPPED
            row.error_code = "no_email"
            row.error_message = "The patient has no email address."
    Notification.objects.bulk_create(row for row, _ in rows)
    if any(row.state == State.SCHEDULED for row, _ in rows):
        note_due_work(now)
