"""Sending what is due, one practice at a time, and recording what happened to each message."""

import datetime
import logging
import smtplib
from functools import cached_property

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from notifications import consent, sms
from notifications.calendar import appointment_calendar_file
from notifications.content import Composer
from notifications.links import practice_link
from notifications.live import push_states_on_commit
from notifications.message_notices import has_sms_consent
from notifications.models import Channel, Kind, Notification, SmsOptOut
from notifications.phones import to_e164
from notifications.policy import current_policy, end_of_quiet_hours, in_quiet_hours
from notifications.reminders import REMINDED_STATUSES, note_due_work
from notifications.routing.models import PracticeDueWork
from practica.scheduling.models import WaitlistOffer

log = logging.getLogger(__name__)
State = Notification.State
MAX_ATTEMPTS = 5
# A row left in "sending" this long belonged to a worker that died; it is claimed again.
STALE_CLAIM = datetime.timedelta(seconds=getattr(settings, "NOTIFICATIONS_STALE_CLAIM_SECONDS", 300))
BATCH = 50
# Emails that put the (new) time in the patient's calendar: the .ics is attached.
CALENDAR_KINDS = (Kind.CONFIRMATION, Kind.RESCHEDULED)


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min, 4 min, ..."""
    return datetime.timedelta(seconds=30 * 2 ** max(attempts - 1, 0))


def claim_due(now: datetime.datetime | None = None, limit: int = BATCH) -> list[Notification]:
    """Claim up to `limit` due rows for this worker and mark them "sending".

    SELECT ... FOR UPDATE SKIP LOCKED, then the state change, in one transaction: two workers
    scanning at once never get the same row (the second skips rows the first has locked, and once
    the first commits those rows are no longer "scheduled"), so no message is sent twice by
    concurrent workers. Rows stuck in "sending" past STALE_CLAIM are taken again: their worker died
    before recording a result (the one window where a duplicate is possible, if it died after
    Twilio accepted the message)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                Q(state=State.SCHEDULED, due_at__lte=now)
                | Q(state=State.SENDING, claimed_at__lt=now - STALE_CLAIM)
            )
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        Notification.objects.filter(pk__in=ids).update(
            state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    return list(
        Notification.objects.filter(pk__in=ids)
        .select_related(
            "appointment__patient",
            "appointment__location",
            "appointment__appointment_type",
            "thread__patient",
            "waitlist_offer__entry__patient",
            "waitlist_offer__location",
            "statement__patient",
        )
        .order_by("due_at")
    )


def send_due(now: datetime.datetime | None = None) -> int:
    """Send everything due in this practice; returns how many rows were handled.

    Each outcome is recorded as soon as its message is sent (one UPDATE each, never one per batch):
    if the worker dies, only the message in flight can be sent again by the worker that takes over
    its stale claims."""
    handled = 0
    while batch := claim_due(now):
        sending = Sending(batch)
        try:
            for notification in batch:
                deliver(notification, now, sending)
        finally:
            sending.push_states()
        handled += len(batch)
    refresh_due_work()
    return handled


class Sending:
    """What every message of one claimed batch needs, read once for the batch: the practice's policy,
    SMS account and wording, the patients' languages, and which of their numbers opted out. Each
    message then costs its request to Twilio (or the mail server) and the UPDATE of its outcome.

    Opt-outs are read when the batch starts; one that arrives while the batch is being sent is
    honoured by Twilio itself (error 21610), and from the next batch on by us."""

    def __init__(self, notifications: list[Notification]) -> None:
        self.policy = current_policy()
        self.composer = Composer([n.patient.pk for n in notifications], policy=self.policy)
        numbers = (to_e164(n.patient.phone) for n in notifications if n.channel == Channel.SMS)
        # No query when the batch has no SMS: an empty IN matches nothing.
        opted_out = SmsOptOut.objects.filter(phone__in=[number for number in numbers if number])
        self.opted_out = set(opted_out.values_list("phone", flat=True))
        self.states: list[tuple[object, str]] = []

    @cached_property
    def account(self) -> sms.SmsAccount | None:
        return sms.account_for(connection.tenant.pk)  # type: ignore[attr-defined]

    @cached_property
    def status_callback(self) -> str:
        return practice_link("twilio_status_callback")

    def push_states(self) -> None:
        """The batch's new states to the practice's live delivery log, in one go."""
        push_states_on_commit(self.states)
        self.states = []


def refresh_due_work() -> None:
    """Point the public due-work index at this practice's next due row.

    Locks the index row first, then reads the minimum in a new statement: a booking that added a
    row holds that lock until it commits, so the minimum read afterwards includes its row."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    with transaction.atomic():
        # The public table is reachable from the practice's schema (search_path ends with public).
        index = PracticeDueWork.objects.filter(practice_id=tenant.pk)
        if not list(index.select_for_update()):  # evaluated here: the lock is taken now
            return
        scheduled = Notification.objects.filter(state=State.SCHEDULED).aggregate(at=Min("due_at"))["at"]
        claimed = Notification.objects.filter(state=State.SENDING).aggregate(at=Min("claimed_at"))["at"]
        candidates = [t for t in (scheduled, claimed + STALE_CLAIM if claimed else None) if t is not None]
        index.update(next_due_at=min(candidates) if candidates else None)


def _finish(notification: Notification, state: str, sending: Sending, **fields: object) -> None:
    """Record the outcome, only if this worker still holds the claim."""
    fields.update(state=state, updated_at=timezone.now())
    changed = Notification.objects.filter(
        pk=notification.pk, state=State.SENDING, claimed_at=notification.claimed_at
    ).update(**fields)
    if changed:
        sending.states.append((notification.pk, state))


def deliver(
    notification: Notification, now: datetime.datetime | None = None, sending: Sending | None = None
) -> None:
    """Send one claimed notification, checking at the last moment that it is still wanted."""
    if sending is None:  # one message on its own: a batch of one
        sending = Sending([notification])
        try:
            deliver(notification, now, sending)
        finally:
            sending.push_states()
        return
    now = now or timezone.now()
    if notification.kind == Kind.NEW_MESSAGE:
        _deliver_message_notice(notification, now, sending)
        return
    if notification.waitlist_offer is not None:
        _deliver_waitlist_notice(notification, now, sending)
        return
    if notification.statement is not None:
        _deliver_statement_notice(notification, now, sending)
        return
    appointment = notification.appointment
    assert appointment is not None  # every other kind is about an appointment
    if notification.kind != Kind.CANCELLED and (
        appointment.status not in REMINDED_STATUSES or appointment.start <= now
    ):
        _finish(notification, State.CANCELLED, sending, error_code="appointment_changed")
        return
    if notification.channel == Channel.SMS:
        _deliver_sms(notification, now, sending)
    else:
        _deliver_email(notification, now, sending)


def _deliver_sms(notification: Notification, now: datetime.datetime, sending: Sending) -> None:
    appointment = notification.appointment
    assert appointment is not None
    phone = _reachable_phone(notification, appointment.patient.phone, sending)
    if phone is None:
        return
    policy = sending.policy
    if in_quiet_hours(now, policy, appointment.location.time_zone):
        later = end_of_quiet_hours(now, policy, appointment.location.time_zone)
        if later <= appointment.start - datetime.timedelta(minutes=policy.min_useful_lead_minutes):
            _finish(notification, State.SCHEDULED, sending, due_at=later, attempts=F("attempts") - 1)
            note_due_work(later)
        else:
            _finish(notification, State.SKIPPED, sending, error_code="quiet_hours")
        return
    _send_text(notification, phone, now, sending)


def _deliver_waitlist_notice(notification: Notification, now: datetime.datetime, sending: Sending) -> None:
    """An offer is not sent once it is closed (claimed by another, withdrawn, expired) by the time
    the worker gets to it: its link would only lead to "sorry"."""
    offer = notification.waitlist_offer
    assert offer is not None
    if notification.kind == Kind.WAITLIST_OFFER and (
        offer.status != WaitlistOffer.Status.OPEN or offer.expires_at <= now
    ):
        _finish(notification, State.CANCELLED, sending, error_code="offer_closed")
        return
    _deliver_email(notification, now, sending)


def _deliver_message_notice(notification: Notification, now: datetime.datetime, sending: Sending) -> None:
    """That a secure message is waiting: not sent once the patient has read the thread. By SMS, not
    without their SMS consent, and held back by quiet hours (in the practice's time zone)."""
    thread = notification.thread
    assert thread is not None
    if thread.patient_read_at is not None and thread.patient_read_at >= notification.created_at:
        _finish(notification, State.CANCELLED, sending, error_code="already_read")
        return
    if notification.channel == Channel.EMAIL:
        _deliver_email(notification, now, sending)
        return
    if not has_sms_consent(thread.patient_id):
        _finish(
            notification, State.SKIPPED, sending, error_code="no_consent", error_message="No SMS consent."
        )
        return
    phone = _reachable_phone(notification, thread.patient.phone, sending)
    if phone is None:
        return
    time_zone = connection.tenant.time_zone  # type: ignore[attr-defined]
    if in_quiet_hours(now, sending.policy, time_zone):
        later = end_of_quiet_hours(now, sending.policy, time_zone)
        _finish(notification, State.SCHEDULED, sending, due_at=later, attempts=F("attempts") - 1)
        note_due_work(later)
        return
    _send_text(notification, phone, now, sending)


def _deliver_statement_notice(notification: Notification, now: datetime.datetime, sending: Sending) -> None:
    """A statement's notice is not sent once the account went to collections, nor a reminder once
    the statement is paid, on a plan or replaced by a newer one. SMS needs the patient's consent
    and waits out quiet hours (in the practice's time zone)."""
    from practica.patient_billing.selectors import balance_cents
    from practica.statements.models import PatientAccount, Statement

    statement = notification.statement
    assert statement is not None
    current = Statement.objects.filter(pk=statement.pk).values_list("status", flat=True).first()
    if PatientAccount.objects.filter(patient_id=statement.patient_id, collections_at__isnull=False).exists():
        _finish(notification, State.CANCELLED, sending, error_code="in_collections")
        return
    if notification.kind != Kind.STATEMENT_READY and current != Statement.Status.OPEN:
        _finish(notification, State.CANCELLED, sending, error_code="statement_closed")
        return
    if notification.kind != Kind.STATEMENT_READY and balance_cents(statement.patient) <= 0:
        # Paid since the step was planned: the reminder stops the moment the balance is paid.
        _finish(notification, State.CANCELLED, sending, error_code="paid")
        return
    if notification.channel == Channel.EMAIL:
        _deliver_email(notification, now, sending)
        return
    if not has_sms_consent(statement.patient_id):
        _finish(
            notification, State.SKIPPED, sending, error_code="no_consent", error_message="No SMS consent."
        )
        return
    phone = _reachable_phone(notification, statement.patient.phone, sending)
    if phone is None:
        return
    time_zone = connection.tenant.time_zone  # type: ignore[attr-defined]
    if in_quiet_hours(now, sending.policy, time_zone):
        later = end_of_quiet_hours(now, sending.policy, time_zone)
        _finish(notification, State.SCHEDULED, sending, due_at=later, attempts=F("attempts") - 1)
        note_due_work(later)
        return
    _send_text(notification, phone, now, sending)


def _reachable_phone(notification: Notification, raw: str, sending: Sending) -> str | None:
    """The patient's number in E.164, or None once the row is finished (invalid, or opted out)."""
    phone = to_e164(raw)
    if phone is None:
        _finish(
            notification,
            State.FAILED,
            sending,
            error_code="invalid_number",
            error_message="Not a phone number.",
        )
        return None
    if phone in sending.opted_out:
        _finish(notification, State.SKIPPED, sending, to_address=phone, error_code="opted_out")
        return None
    return phone


def _send_text(notification: Notification, phone: str, now: datetime.datetime, sending: Sending) -> None:
    account = sending.account
    if account is None:
        _finish(
            notification,
            State.FAILED,
            sending,
            error_code="no_sms_account",
            error_message="No SMS account set up.",
        )
        return
    body = sending.composer.compose(notification).text
    try:
        sid = sms.send_sms(account, to=phone, body=body, status_callback=sending.status_callback)
    except sms.SmsError as error:
        if error.code == "21610":
            consent.opt_out(phone, keyword=consent.CARRIER)
            sending.opted_out.add(phone)
        _retry_or_fail(
            notification, sending, error.code, error.message, retry=error.retry, to_address=phone, now=now
        )
        return
    _finish(
        notification, State.SENT, sending, to_address=phone, provider_message_id=sid, sent_at=timezone.now()
    )


def _deliver_email(notification: Notification, now: datetime.datetime, sending: Sending) -> None:
    patient = notification.patient
    if not patient.email:
        _finish(notification, State.SKIPPED, sending, error_code="no_email")
        return
    message = sending.composer.compose(notification)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=sending.policy.email_from or settings.DEFAULT_FROM_EMAIL,
        to=[patient.email],
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    if notification.kind in CALENDAR_KINDS and notification.appointment is not None:
        email.attach("appointment.ics", appointment_calendar_file(notification.appointment), "text/calendar")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as error:
        _retry_or_fail(
            notification,
            sending,
            "recipient_refused",
            str(error)[:300],
            retry=False,
            to_address=patient.email,
            now=now,
        )
        return
    except (smtplib.SMTPException, OSError) as error:
        _retry_or_fail(
            notification, sending, "smtp", str(error)[:300], retry=True, to_address=patient.email, now=now
        )
        return
    _finish(notification, State.SENT, sending, to_address=patient.email, sent_at=timezone.now())


def _retry_or_fail(
    notification: Notification,
    sending: Sending,
    code: str,
    message: str,
    *,
    retry: bool,
    to_address: str,
    now: datetime.datetime,
) -> None:
    if retry and notification.attempts < MAX_ATTEMPTS:
        due = now + retry_delay(notification.attempts)
        _finish(
            notification,
            State.SCHEDULED,
            sending,
            due_at=due,
            error_code=code,
            error_message=message,
            to_address=to_address,
        )
        note_due_work(due)
        log.info("notification %s will retry: %s", notification.pk, code)
        return
    _finish(
        notification, State.FAILED, sending, error_code=code, error_message=message, to_address=to_address
    )
