"""The SMS and the email telling a patient that the care team wrote to them in the portal.

Planned as Notification rows in the transaction that stores the message, and sent by the same
workers as reminders (claimed, retried, logged, status callbacks), so they survive a crash between
the commit and the send. The text is fixed: that there is a new secure message, and a link."""

import datetime
import uuid

from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.models import Channel, Kind, Notification
from notifications.policy import current_policy, end_of_quiet_hours, in_quiet_hours
from notifications.reminders import note_due_work
from practica.messaging.models import Thread
from practica.patients.models import PatientProfile

State = Notification.State


def notice_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=int(getattr(settings, "MESSAGE_SMS_NOTICE_MINUTES", 15)))


def has_sms_consent(patient_id: uuid.UUID) -> bool:
    return PatientProfile.objects.filter(patient_id=patient_id, sms_consent=True).exists()


def plan_new_message_notice(thread: Thread, now: datetime.datetime | None = None) -> Notification | None:
    """Plan the SMS for a care-team message just stored in `thread`; None when none is due.

    No flood: no second notice while the patient has not read the thread since the last one, and
    never two within MESSAGE_SMS_NOTICE_MINUTES. The caller holds the thread's row lock (the reply
    is stored under it), so two replies at once cannot both plan one. A patient without a phone
    or SMS consent gets a skipped row, so the practice's log says why no text went out.

    The email is planned beside it (plan_new_message_email)."""
    now = now or timezone.now()
    plan_new_message_email(thread, now)
    last = _last_notice(thread, Channel.SMS)
    if last is not None:
        unread_since_last = thread.patient_read_at is None or thread.patient_read_at < last.created_at
        if unread_since_last or last.created_at > now - notice_window():
            return None
    notice = Notification(thread=thread, kind=Kind.NEW_MESSAGE, channel=Channel.SMS, due_at=now)
    patient = thread.patient
    if not patient.phone:
        _skip(notice, "no_phone", "The patient has no mobile number.")
    elif not has_sms_consent(patient.pk):
        _skip(notice, "no_consent", "No SMS consent.")
    else:
        policy = current_policy()
        time_zone = connection.tenant.time_zone  # type: ignore[attr-defined]
        if in_quiet_hours(now, policy, time_zone):
            notice.due_at = end_of_quiet_hours(now, policy, time_zone)
    notice.save()
    if notice.state == State.SCHEDULED:
        note_due_work(notice.due_at)
    return notice


def plan_new_message_email(thread: Thread, now: datetime.datetime) -> Notification | None:
    """One email per unread batch: none while the patient has not read the thread since the last
    one (no window: an email waits quietly in the inbox)."""
    last = _last_notice(thread, Channel.EMAIL)
    if last is not None and (thread.patient_read_at is None or thread.patient_read_at < last.created_at):
        return None
    notice = Notification(thread=thread, kind=Kind.NEW_MESSAGE, channel=Channel.EMAIL, due_at=now)
    if not thread.patient.email:
        _skip(notice, "no_email", "The patient has no email address.")
    notice.save()
    if notice.state == State.SCHEDULED:
        note_due_work(notice.due_at)
    return notice


def _last_notice(thread: Thread, channel: str) -> Notification | None:
    notices = Notification.objects.filter(thread=thread, kind=Kind.NEW_MESSAGE, channel=channel)
    return notices.order_by("-created_at").first()


def _skip(notice: Notification, code: str, message: str) -> None:
    notice.state = State.SKIPPED
    notice.error_code = code
    notice.error_message = message
