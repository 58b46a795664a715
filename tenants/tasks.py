import datetime

from celery import Task, shared_task
from django.core.mail import send_mail

from practica.accounts.models import Membership
from practica.accounts.roles import Role
from practica.audit.context import acting_as, task
from tenants.models import Practice
from tenants.pool import refill_ready_schemas as refill
from tenants.retention import purge_expired_practices as purge


@shared_task(name="tenants.tasks.purge_expired_practices", ignore_result=True)
def purge_expired_practices() -> list[str]:
    with acting_as(task("tenants.tasks.purge_expired_practices")):  # also when called directly
        return purge()


@shared_task(name="tenants.tasks.refill_ready_schemas", ignore_result=True)
def refill_ready_schemas() -> int:
    return refill()


def owner_emails(practice: Practice) -> list[str]:
    return list(
        Membership.objects.filter(practice=practice, role=Role.OWNER, is_active=True).values_list(
            "user__email", flat=True
        )
    )


@shared_task(
    bind=True,
    name="tenants.tasks.send_trial_ending_notice",
    max_retries=5,
    default_retry_delay=60,
    acks_late=True,
    ignore_result=True,
)
def send_trial_ending_notice(self: Task, practice_id: int, trial_end: int | None) -> None:
    """Tell the practice's owners that the free trial ends soon (queued by the subscription
    webhook after its commit). A mail server that is down is tried again, every minute, 5 times."""
    practice = Practice.objects.filter(pk=practice_id).first()
    if practice is None:
        return
    recipients = owner_emails(practice)
    if not recipients:
        return
    when = (
        datetime.datetime.fromtimestamp(trial_end, tz=datetime.UTC).strftime("%B %d, %Y")
        if trial_end
        else "in a few days"
    )
    try:
        send_mail(
            f"Your Practica trial for {practice.name} ends soon",
            f"The free trial of {practice.name} ends on {when}. Your card on file will then be charged "
            "per provider seat. You can change your card or plan from Settings > Subscription.",
            None,
            recipients,
        )
    except OSError as exc:  # smtplib's errors are OSErrors: the server is down or refused us
        raise self.retry(exc=exc) from exc
