"""The outbox of emails about a person's own login (an authenticator added or removed).

`queue_account_email` is called by the write path inside its transaction, so the email and the
change commit together or not at all; the workers send (`send_due_account_emails`): on commit a
task is queued to send at once, and beat's sweep picks up whatever that missed (a broker that was
down, a worker killed mid-send), so nothing committed is lost.
"""

import datetime
import logging

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.routing.models import AccountEmail

log = logging.getLogger(__name__)
State = AccountEmail.State
MAX_ATTEMPTS = 8
BATCH = 50
# A row claimed this long ago and still "sending" belonged to a worker that died: claimed again.
STALE_CLAIM = datetime.timedelta(minutes=10)


def queue_account_email(
    *, to: str, subject: str, body: str, practice_schema: str = "", now: datetime.datetime | None = None
) -> AccountEmail:
    email = AccountEmail.objects.create(
        to_address=to,
        subject=subject[:200],
        body=body,
        practice_schema=practice_schema,
        due_at=now or timezone.now(),
    )
    from notifications.tasks import send_account_emails

    transaction.on_commit(send_account_emails.delay)
    return email


def retry_delay(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=min(2**attempts, 240))


def claim_due(now: datetime.datetime, limit: int = BATCH) -> list[AccountEmail]:
    """Rows due (or stale claims) marked as being sent, under FOR UPDATE SKIP LOCKED: two workers
    sweeping at once each take different rows, so no email goes out twice from a double claim."""
    with transaction.atomic():
        rows = list(
            AccountEmail.objects.select_for_update(skip_locked=True)
            .filter(
                Q(state=State.SCHEDULED, due_at__lte=now)
                | Q(state=State.SENDING, claimed_at__lte=now - STALE_CLAIM)
            )
            .order_by("due_at")[:limit]
        )
        AccountEmail.objects.filter(pk__in=[row.pk for row in rows]).update(
            state=State.SENDING, claimed_at=now
        )
    return rows


def send_due_account_emails(now: datetime.datetime | None = None) -> int:
    """Send what is due; returns how many went out. A mail server error leaves the row to be
    tried again later, up to MAX_ATTEMPTS."""
    now = now or timezone.now()
    sent = 0
    for email in claim_due(now):
        try:
            send_mail(
                subject=email.subject, message=email.body, from_email=None, recipient_list=[email.to_address]
            )
        except OSError as error:
            attempts = email.attempts + 1
            failed = attempts >= MAX_ATTEMPTS
            AccountEmail.objects.filter(pk=email.pk).update(
                state=State.FAILED if failed else State.SCHEDULED,
                attempts=attempts,
                due_at=now + retry_delay(attempts),
                error_message=str(error)[:300],
            )
            log.warning("account email %s not sent (attempt %s): %s", email.pk, attempts, error)
            continue
        AccountEmail.objects.filter(pk=email.pk).update(
            state=State.SENT, sent_at=now, attempts=email.attempts + 1, error_message=""
        )
        sent += 1
    return sent
