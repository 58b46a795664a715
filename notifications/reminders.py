"""Planning notifications when appointments are booked, moved or cancelled.

`appointment_changed` is called by practica.scheduling.booking inside the transaction that changes the
appointment, so the plan and the appointment always agree: either both commit or neither does."""

import datetime

from django.db import connection
from django.utils import timezone

from notifications.models import Channel, Kind, Notification
from notifications.policy import current_policy, end_of_quiet_hours, in_quiet_hours, rules_for
from practica.scheduling.models import Appointment

State = Notification.State
CANCELLED_STATUSES = {Appointment.Status.CANCELLED_BY_PATIENT, Appointment.Status.CANCELLED_BY_PRACTICE}
REMINDED_STATUSES = {Appointment.Status.BOOKED, Appointment.Status.CONFIRMED}


def appointment_changed(appointment: Appointment, now: datetime.datetime | None = None) -> list[Notification]:
    """Bring the appointment's planned notifications in line with its current state; returns new rows.

    Idempotent: calling it twice plans nothing twice. A booking still waiting for its deposit is
    told nothing (neither confirmed nor, if the hold lapses, cancelled) until the deposit is paid."""
    if appointment.awaiting_deposit:
        return []
    now = now or timezone.now()
    current_policy()  # a practice's first booking creates its default policy and reminders
    existing = list(Notification.objects.filter(appointment=appointment))
    created: list[Notification] = []
    if appointment.status in REMINDED_STATUSES and appointment.start > now:
        created += _plan_reminders(appointment, existing, now)
        created += _plan_booking_notice(appointment, existing, now)
    else:
        _cancel_scheduled(appointment, kinds=None)
        if appointment.status in CANCELLED_STATUSES and appointment.start > now:
            created += _plan_notice(appointment, existing, Kind.CANCELLED, now)
    due = [n.due_at for n in created if n.state == State.SCHEDULED]
    if due:
        note_due_work(min(due))
    return created


def _cancel_scheduled(appointment: Appointment, kinds: list[str] | None) -> None:
    rows = Notification.objects.filter(appointment=appointment, state=State.SCHEDULED)
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    rows.update(state=State.CANCELLED, updated_at=timezone.now())


def _plan_reminders(
    appointment: Appointment, existing: list[Notification], now: datetime.datetime
) -> list[Notification]:
    wanted = {
        (appointment.start - datetime.timedelta(minutes=rule.offset_minutes), rule.channel)
        for rule in rules_for(appointment.appointment_type_id)
    }
    # A reminder whose time has passed at booking is not sent: the booking notice covers it.
    wanted = {(due, channel) for due, channel in wanted if due > now}
    current = {
        (n.due_at, n.channel): n
        for n in existing
        if n.kind == Kind.REMINDER and n.state in (State.SCHEDULED, State.SKIPPED)
    }
    stale = [n.pk for key, n in current.items() if key not in wanted and n.state == State.SCHEDULED]
    if stale:
        Notification.objects.filter(pk__in=stale).update(state=State.CANCELLED, updated_at=timezone.now())
    rows = [
        _planned(appointment, Kind.REMINDER, channel, due)
        for due, channel in sorted(wanted)
        if (due, channel) not in current
    ]
    return _save_planned(appointment, rows, now)


def _plan_booking_notice(
    appointment: Appointment, existing: list[Notification], now: datetime.datetime
) -> list[Notification]:
    kind = Kind.RESCHEDULED if appointment.rescheduled_from_id else Kind.CONFIRMATION
    policy = current_policy()
    enabled = policy.notify_on_reschedule if kind == Kind.RESCHEDULED else policy.confirm_on_booking
    return _plan_notice(appointment, existing, kind, now) if enabled else []


def _plan_notice(
    appointment: Appointment, existing: list[Notification], kind: str, now: datetime.datetime
) -> list[Notification]:
    policy = current_policy()
    if kind == Kind.CANCELLED and not policy.notify_on_cancel:
        return []
    if any(n.kind == kind for n in existing):
        return []
    rows = [_planned(appointment, kind, channel, now) for channel in policy.notice_channel_list]
    return _save_planned(appointment, rows, now)


def _planned(appointment: Appointment, kind: str, channel: str, due: datetime.datetime) -> Notification:
    return Notification(appointment=appointment, kind=kind, channel=channel, due_at=due)


def _save_planned(
    appointment: Appointment, rows: list[Notification], now: datetime.datetime
) -> list[Notification]:
    """Apply quiet hours and missing contact details, then store the rows (skipped ones too,
    so the practice can see why a patient got no reminder)."""
    if not rows:
        return []
    policy = current_policy()
    patient = appointment.patient
    time_zone = appointment.location.time_zone
    for row in rows:
        if row.channel == Channel.SMS and not patient.phone:
            _skip(row, "no_phone", "The patient has no mobile number.")
        elif row.channel == Channel.EMAIL and not patient.email:
            _skip(row, "no_email", "The patient has no email address.")
        elif row.channel == Channel.SMS and in_quiet_hours(row.due_at, policy, time_zone):
            later = end_of_quiet_hours(row.due_at, policy, time_zone)
            latest_useful = appointment.start - datetime.timedelta(minutes=policy.min_useful_lead_minutes)
            if later <= latest_useful:
                row.due_at = later
            else:
                _skip(row, "quiet_hours", "Due in quiet hours, and too close to the appointment afterwards.")
    return Notification.objects.bulk_create(rows)


def _skip(row: Notification, code: str, message: str) -> None:
    row.state = State.SKIPPED
    row.error_code = code
    row.error_message = message


def note_due_work(due_at: datetime.datetime) -> None:
    """Make the public due-work index point at `due_at` or earlier for this practice.

    Runs in the caller's transaction: the row lock it takes is what lets a sending worker
    recompute the index without losing this update (see delivery.refresh_due_work)."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO public.notifications_routing_practiceduework (practice_id, schema_name, next_due_at)
            VALUES (%s, %s, %s)
            ON CONFLICT (practice_id) DO UPDATE
            SET next_due_at = LEAST(
                COALESCE(public.notifications_routing_practiceduework.next_due_at, EXCLUDED.next_due_at),
                EXCLUDED.next_due_at
            )
            """,
            [tenant.pk, tenant.schema_name, due_at],
        )
