"""Stripe events of the platform account: Checkout completed, invoices paid or failed, the
subscription updated, deleted, or its trial ending. They alone change a practice's status."""

import datetime
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from tenants.models import Practice
from tenants.services import activate_practice, mark_past_due, suspend_practice
from tenants.tasks import send_trial_ending_notice

log = logging.getLogger(__name__)


def _practice_for(data: dict[str, Any]) -> Practice | None:
    schema = (data.get("metadata") or {}).get("practice") or data.get("client_reference_id")
    if schema:
        found = Practice.objects.filter(schema_name=schema).first()
        if found is not None:
            return found
    subscription = data.get("subscription") if data.get("object") != "subscription" else data.get("id")
    # Newer API versions put an invoice's subscription under parent.subscription_details.
    subscription = subscription or ((data.get("parent") or {}).get("subscription_details") or {}).get(
        "subscription"
    )
    if subscription:
        found = Practice.objects.filter(stripe_subscription_id=subscription).first()
        if found is not None:
            return found
    customer = data.get("customer")
    return Practice.objects.filter(stripe_customer_id=customer).first() if customer else None


def handle_platform_event(event: dict[str, Any]) -> None:
    """Apply one verified platform event. Called once per event id (see practica.patient_billing.tasks)."""
    data: dict[str, Any] = event["data"]["object"]
    practice = _practice_for(data)
    if practice is None:
        log.warning("Stripe event %s names no known practice", event["id"])
        return
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    kind = event["type"]
    if kind == "checkout.session.completed":
        practice.stripe_customer_id = data.get("customer") or practice.stripe_customer_id
        practice.stripe_subscription_id = data.get("subscription") or practice.stripe_subscription_id
        practice.save(update_fields=["stripe_customer_id", "stripe_subscription_id"])
        if data.get("status") == "complete" and practice.status != Practice.Status.SUSPENDED:
            _activate(practice)
    elif kind == "invoice.paid":
        # A paid invoice older than a later failure (delivered out of order) does not reactivate.
        if (
            practice.status != Practice.Status.SUSPENDED
            and event["created"] >= practice.subscription_event_created
        ):
            _activate(practice)
    elif kind == "invoice.payment_failed":
        if (
            practice.status != Practice.Status.SUSPENDED
            and event["created"] >= practice.subscription_event_created
        ):
            practice.past_due_since = practice.past_due_since or timezone.now()
            practice.save(update_fields=["past_due_since"])
            mark_past_due(practice)
    elif kind == "customer.subscription.updated":
        _apply_subscription_state(practice, data, event["created"])
    elif kind == "customer.subscription.deleted":
        suspend_practice(practice)
    elif kind == "customer.subscription.trial_will_end" and practice.trial_ending_notice_sent_at is None:
        _send_trial_ending_notice(practice, data)
    if event["created"] > practice.subscription_event_created:
        Practice.objects.filter(pk=practice.pk).update(subscription_event_created=event["created"])


def _activate(practice: Practice) -> None:
    practice.past_due_since = None
    practice.save(update_fields=["past_due_since"])
    activate_practice(practice)


def _apply_subscription_state(practice: Practice, subscription: dict[str, Any], created: int) -> None:
    """An out-of-order `updated` older than what we applied last is ignored."""
    if created < practice.subscription_event_created or practice.status == Practice.Status.SUSPENDED:
        return
    if subscription.get("trial_end"):
        practice.trial_ends_at = datetime.datetime.fromtimestamp(subscription["trial_end"], tz=datetime.UTC)
        practice.save(update_fields=["trial_ends_at"])
    status = subscription.get("status")
    if status in ("active", "trialing") and practice.stripe_subscription_id:
        _activate(practice)
    elif status in ("past_due", "unpaid"):
        practice.past_due_since = practice.past_due_since or timezone.now()
        practice.save(update_fields=["past_due_since"])
        mark_past_due(practice)
    elif status == "canceled":
        suspend_practice(practice)


def _send_trial_ending_notice(practice: Practice, subscription: dict[str, Any]) -> None:
    """Recorded now, emailed by a Celery task once this commits: a mail server that is down is
    retried by that task, and can no longer roll back the event or fail the webhook's request."""
    ends = subscription.get("trial_end")
    practice.trial_ending_notice_sent_at = timezone.now()
    practice.save(update_fields=["trial_ending_notice_sent_at"])
    practice_id = practice.pk
    # Robust: even where tasks run inline (no broker), a failure to queue it is logged, not raised.
    transaction.on_commit(lambda: send_trial_ending_notice.delay(practice_id, ends), robust=True)
