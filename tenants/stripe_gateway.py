"""The one place a Stripe client is made, for the platform account and for Connect calls."""

import stripe
from django.conf import settings


class StripeNotConfigured(Exception):
    pass


def stripe_client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise StripeNotConfigured("Online payments are not set up (STRIPE_SECRET_KEY is empty).")
    if settings.STRIPE_API_BASE:
        # Tests: the fake Stripe server on 127.0.0.1 (tests/billing/fake_stripe.py).
        return stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=0,
        )
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY)


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)
