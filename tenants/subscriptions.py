"""A practice's subscription to Practica, billed per provider seat by Stripe Billing.

The browser returning from Checkout proves nothing: the practice's status changes only from
verified webhook events (see handle_platform_event)."""

import datetime
import logging
from collections.abc import Callable
from typing import Any

import stripe
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.accounts.models import Membership
from practica.accounts.roles import Role
from tenants.models import Practice
from tenants.services import activate_practice, mark_past_due, suspend_practice
from tenants.stripe_gateway import stripe_client, stripe_configured

log = logging.getLogger(__name__)


class SubscriptionError(Exception):
    pass


def active_provider_count(practice: Practice) -> int:
    """The seat count: active providers, at least one (a practice always has its first seat)."""
    from practica.scheduling.models import Provider

    with tenant_context(practice):
        return max(1, Provider.objects.filter(is_active=True).count())


def price_id_for(practice: Practice) -> str:
    plan = practice.plan
    if plan is None:
        raise SubscriptionError("The practice has no plan.")
    price = (
        plan.stripe_yearly_price_id if practice.billing_interval == "year" else plan.stripe_monthly_price_id
    )
    if not price:
        raise SubscriptionError(f"The {plan.name} plan has no Stripe price for this interval.")
    return price


def start_subscription_checkout(
    practice: Practice, *, owner_email: str, success_url: str, cancel_url: str
) -> str:
    """Create the Stripe customer (once) and a subscription-mode Checkout Session; returns its URL."""
    client = stripe_client()
    if not practice.stripe_customer_id:
        customer = client.v1.customers.create(
            params={
                "name": practice.name,
                "email": owner_email,
                "metadata": {"practice": practice.schema_name},
            },
            options={"idempotency_key": f"customer-{practice.schema_name}"},
        )
        practice.stripe_customer_id = customer.id
        practice.save(update_fields=["stripe_customer_id"])
    assert practice.plan is not None
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": practice.stripe_customer_id,
        "client_reference_id": practice.schema_name,
        "line_items": [{"price": price_id_for(practice), "quantity": active_provider_count(practice)}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": {"practice": practice.schema_name},
        "subscription_data": {"metadata": {"practice": practice.schema_name}},
    }
    if practice.plan.trial_days:
        params["subscription_data"]["trial_period_days"] = practice.plan.trial_days
    session = client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert session.url is not None
    return session.url


def checkout_or(practice: Practice, owner_email: str, next_url: str) -> str:
    """After signup: Stripe Checkout for the plan when it can be bought online, else straight in."""
    if not stripe_configured() or practice.plan is None or not practice.plan.stripe_monthly_price_id:
        return next_url
    try:
        return start_subscription_checkout(
            practice, owner_email=owner_email, success_url=next_url, cancel_url=next_url
        )
    except (SubscriptionError, stripe.StripeError):
        log.exception("Could not start Checkout for %s; the practice stays in trial", practice.schema_name)
        return next_url


def customer_portal_url(practice: Practice, return_url: str) -> str:
    """The Stripe customer portal, where the owner changes card and downloads invoices."""
    if not practice.stripe_customer_id:
        raise SubscriptionError("This practice has no subscription yet.")
    session = stripe_client().v1.billing_portal.sessions.create(
        params={"customer": practice.stripe_customer_id, "return_url": return_url}
    )
    return session.url


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


# --- webhook events (the platform account) -------------------------------------------------------


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


def _owner_emails(practice: Practice) -> list[str]:
    return list(
        Membership.objects.filter(practice=practice, role=Role.OWNER, is_active=True).values_list(
            "user__email", flat=True
        )
    )


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
    ends = subscription.get("trial_end")
    when = (
        datetime.datetime.fromtimestamp(ends, tz=datetime.UTC).strftime("%B %d, %Y")
        if ends
        else "in a few days"
    )
    recipients = _owner_emails(practice)
    if recipients:
        send_mail(
            f"Your Practica trial for {practice.name} ends soon",
            f"The free trial of {practice.name} ends on {when}. Your card on file will then be charged "
            "per provider seat. You can change your card or plan from Settings > Subscription.",
            None,
            recipients,
        )
    practice.trial_ending_notice_sent_at = timezone.now()
    practice.save(update_fields=["trial_ending_notice_sent_at"])


# --- read-only after the grace period -------------------------------------------------------------


def is_read_only(practice: Practice, now: datetime.datetime | None = None) -> bool:
    if practice.status != Practice.Status.PAST_DUE or practice.past_due_since is None:
        return False
    grace = datetime.timedelta(days=settings.SUBSCRIPTION_GRACE_DAYS)
    return (now or timezone.now()) >= practice.past_due_since + grace


# Paths that stay writable while read-only: signing in and out, and fixing the subscription.
READ_ONLY_EXEMPT_PREFIXES = ("/login", "/logout", "/handoff", "/billing/subscription/", "/health", "/pay/")


class ReadOnlyAfterGraceMiddleware:
    """After the grace period of a failed payment, staff can view and export but not change data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        practice = getattr(request, "practice", None)
        if (
            practice is not None
            and request.method not in ("GET", "HEAD", "OPTIONS")
            and not request.path.startswith(READ_ONLY_EXEMPT_PREFIXES)
            and is_read_only(practice)
        ):
            return render(request, "billing/read_only.html", {"practice_name": practice.name}, status=403)
        return self.get_response(request)


def on_commit_sync_seats(practice: Practice) -> None:
    transaction.on_commit(lambda: _sync_seats_later(practice.pk))


def _sync_seats_later(practice_id: int) -> None:
    from practica.patient_billing.tasks import sync_subscription_seats

    sync_subscription_seats.delay(practice_id)
