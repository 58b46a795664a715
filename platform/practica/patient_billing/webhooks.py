"""Stripe webhook endpoints: one for the platform account, one for Connect (practices' accounts).

Each verifies the signature on the raw body, stores the event once by id, and hands the work to
Celery so Stripe gets its answer fast. Anything unsigned, badly signed or of a type Practica does
not handle is refused with 400 and changes nothing."""

import json
import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tenants.models import Practice, StripeEvent

log = logging.getLogger(__name__)

PLATFORM_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "invoice.paid",
        "invoice.payment_failed",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
    }
)
CONNECT_EVENTS = frozenset(
    {
        "account.updated",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "setup_intent.succeeded",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "checkout.session.completed",
    }
)


def _receive(request: HttpRequest, secret: str, endpoint: str, handled: frozenset[str]) -> HttpResponse:
    try:
        event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponse("Invalid signature or payload.", status=400, content_type="text/plain")
    if event.type not in handled:
        return HttpResponse(f"Unhandled event type {event.type}.", status=400, content_type="text/plain")
    payload: dict[str, Any] = json.loads(request.body)
    account = payload.get("account") or ""
    if (
        endpoint == StripeEvent.Endpoint.CONNECT
        and not Practice.objects.filter(stripe_account_id=account).exists()
    ):
        return HttpResponse("Unknown connected account.", status=400, content_type="text/plain")
    try:
        with transaction.atomic():
            StripeEvent.objects.create(
                id=event.id,
                type=event.type,
                endpoint=endpoint,
                account=account,
                created=payload["created"],
                payload=payload,
            )
    except IntegrityError:
        return HttpResponse("Already received.", content_type="text/plain")  # a replay: 200, nothing to do
    from practica.patient_billing.tasks import process_stripe_event

    transaction.on_commit(lambda: process_stripe_event.delay(event.id))
    return HttpResponse("Received.", content_type="text/plain")


@csrf_exempt
@require_POST
def platform_webhook(request: HttpRequest) -> HttpResponse:
    return _receive(request, settings.STRIPE_WEBHOOK_SECRET, StripeEvent.Endpoint.PLATFORM, PLATFORM_EVENTS)


@csrf_exempt
@require_POST
def connect_webhook(request: HttpRequest) -> HttpResponse:
    return _receive(
        request, settings.STRIPE_CONNECT_WEBHOOK_SECRET, StripeEvent.Endpoint.CONNECT, CONNECT_EVENTS
    )


def handle_connect_event(practice: Practice, event: dict[str, Any]) -> None:
    """Apply one Connect event inside the practice's schema. Called once per event id."""
    from practica.patient_billing import disputes, payments

    data: dict[str, Any] = event["data"]["object"]
    kind = event["type"]
    if kind == "account.updated":
        payments.apply_account_status(practice, data)
    elif kind == "payment_intent.succeeded":
        payments.record_payment_succeeded(data)
    elif kind == "payment_intent.payment_failed":
        payments.record_payment_failed(data)
    elif kind == "setup_intent.succeeded":
        payments.record_card_saved(data)
    elif kind == "charge.refunded":
        payments.record_charge_refunded(data)
    elif kind.startswith("charge.dispute."):
        disputes.record_dispute(data, event["created"])
