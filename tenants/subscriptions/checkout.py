"""Buying Practica: the plan's Stripe price, subscription Checkout after signup, and the Stripe
customer portal where the owner changes card and downloads invoices.

The browser returning from Checkout proves nothing: the practice's status changes only from
verified webhook events (tenants.subscriptions.webhooks)."""

import logging
from typing import Any

import stripe

from tenants.models import Practice
from tenants.stripe_gateway import stripe_client, stripe_configured
from tenants.subscriptions.seats import active_provider_count

log = logging.getLogger(__name__)


class SubscriptionError(Exception):
    pass


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


def checkout_or(practice: Practice, owner_email: str, next_url: str, *, return_url: str) -> str:
    """After signup: Stripe Checkout for the plan when it can be bought online (which comes back to
    `return_url`, paid or not), else straight on to `next_url`."""
    if not stripe_configured() or practice.plan is None or not practice.plan.stripe_monthly_price_id:
        return next_url
    try:
        return start_subscription_checkout(
            practice, owner_email=owner_email, success_url=return_url, cancel_url=return_url
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
