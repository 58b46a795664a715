"""Seats: a practice pays per active provider; the subscription's quantity follows them."""

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenants.models import Practice
from tenants.stripe_gateway import stripe_client


def active_provider_count(practice: Practice) -> int:
    """The seat count: active providers, at least one (a practice always has its first seat)."""
    from practica.scheduling.models import Provider

    with tenant_context(practice):
        return max(1, Provider.objects.filter(is_active=True).count())


def sync_seats(practice: Practice) -> int | None:
    """Set the subscription's quantity to the active providers; Stripe prorates the change.

    Returns the new quantity, or None when there is nothing to change."""
    if not practice.stripe_subscription_id:
        return None
    client = stripe_client()
    subscription = client.v1.subscriptions.retrieve(practice.stripe_subscription_id)
    item = subscription["items"]["data"][0]
    seats = active_provider_count(practice)
    if item["quantity"] == seats:
        return None
    client.v1.subscriptions.update(
        practice.stripe_subscription_id,
        params={"items": [{"id": item["id"], "quantity": seats}], "proration_behavior": "create_prorations"},
        options={
            # One change per seat count per minute: a retried task does not update twice.
            "idempotency_key": f"seats-{item['id']}-{seats}-{int(timezone.now().timestamp() // 60)}"
        },
    )
    return seats


def on_commit_sync_seats(practice: Practice) -> None:
    transaction.on_commit(lambda: _sync_seats_later(practice.pk))


def _sync_seats_later(practice_id: int) -> None:
    from practica.patient_billing.tasks import sync_subscription_seats

    sync_subscription_seats.delay(practice_id)
