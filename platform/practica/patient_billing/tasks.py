import datetime
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenants.models import Practice, StripeEvent

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def process_stripe_event(event_id: str) -> bool:
    """Apply a stored Stripe event exactly once.

    The row is locked (SELECT ... FOR UPDATE) and `processed_at` set in the same transaction as the
    work, so two workers handed the same event (a redelivered task) cannot both apply it."""
    from practica.patient_billing.webhooks import handle_connect_event
    from tenants.subscriptions.webhooks import handle_platform_event

    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().filter(pk=event_id, processed_at=None).first()
        if event is None:
            return False
        if event.endpoint == StripeEvent.Endpoint.PLATFORM:
            handle_platform_event(event.payload)
        else:
            practice = Practice.objects.get(stripe_account_id=event.account)
            with tenant_context(practice):
                handle_connect_event(practice, event.payload)
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at"])
    return True


@shared_task
def sync_subscription_seats(practice_id: int) -> int | None:
    from tenants.subscriptions.seats import sync_seats

    return sync_seats(Practice.objects.get(pk=practice_id))


@shared_task
def process_pending_stripe_events(older_than_seconds: int = 300) -> int:
    """The safety net: events stored but not processed (a worker died mid-task) are applied now,
    oldest first. Stripe has already had its 200, so it will not send them again."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    pending = StripeEvent.objects.filter(processed_at=None, received_at__lt=cutoff).order_by("created")
    return sum(1 for event_id in pending.values_list("id", flat=True) if process_stripe_event(event_id))


@shared_task
def release_practice_deposit_holds(practice_id: int) -> int:
    """One practice's bookings whose deposit was not paid in time (queued for each hold's end)."""
    from practica.patient_billing.deposits import release_expired_holds

    practice = Practice.objects.filter(pk=practice_id).exclude(schema_name="public").first()
    if practice is None:
        return 0
    with tenant_context(practice):
        return release_expired_holds(practice)


@shared_task
def release_expired_deposit_holds() -> int:
    """The safety net behind release_practice_deposit_holds (a task lost with its broker): every
    practice that takes card payments, the only ones that can hold a booking for a deposit."""
    from practica.patient_billing.deposits import release_expired_holds

    total = 0
    for practice in Practice.objects.exclude(schema_name="public").filter(connect_charges_enabled=True):
        with tenant_context(practice):
            total += release_expired_holds(practice)
    return total
