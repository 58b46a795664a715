import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from practica.patient_billing.tasks import process_pending_stripe_events, process_stripe_event
from tenants.models import Practice, StripeEvent
from tests.billing.conftest import event, send, signed
from tests.conftest import PUBLIC_HOST

pytestmark = pytest.mark.django_db


def _post(body: bytes, header: str) -> int:
    client = Client(HTTP_HOST=PUBLIC_HOST)
    response = client.post(
        "/stripe/webhooks/platform/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    return response.status_code


def test_signature_is_checked_on_the_raw_body(practice_a: Practice) -> None:
    from django.conf import settings

    payload = event("invoice.paid", {"id": "in_1", "object": "invoice", "customer": "cus_x"})
    body, header = signed(payload, settings.STRIPE_WEBHOOK_SECRET)
    assert _post(body + b" ", header) == 400  # one byte changed
    assert _post(body.replace(b"cus_x", b"cus_y"), header) == 400
    old_body, old_header = signed(
        payload, settings.STRIPE_WEBHOOK_SECRET, at=int(timezone.now().timestamp()) - 3600
    )
    assert _post(old_body, old_header) == 400  # outside Stripe's 5-minute tolerance
    assert _post(b"not json", header) == 400
    assert _post(body, "") == 400
    assert StripeEvent.objects.count() == 0
    assert _post(body, header) == 200
    assert StripeEvent.objects.filter(pk=payload["id"]).count() == 1


def test_each_event_is_processed_once_and_the_sweep_picks_up_stragglers(practice_a: Practice) -> None:
    Practice.objects.filter(pk=practice_a.pk).update(
        stripe_customer_id="cus_sweep", status=Practice.Status.TRIAL
    )
    payload = event("invoice.paid", {"id": "in_2", "object": "invoice", "customer": "cus_sweep"})
    # Stored as the endpoint stores it, but its task never ran (a worker died).
    StripeEvent.objects.create(
        id=payload["id"],
        type=payload["type"],
        endpoint="platform",
        created=payload["created"],
        payload=payload,
    )
    StripeEvent.objects.filter(pk=payload["id"]).update(
        received_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert process_pending_stripe_events() == 1
    practice_a.refresh_from_db()
    assert practice_a.status == Practice.Status.ACTIVE
    assert process_stripe_event(payload["id"]) is False  # already done: nothing happens twice
    assert process_pending_stripe_events() == 0
    assert send(payload).status_code == 200  # a replay from Stripe: acknowledged, not re-applied
    assert json.loads(json.dumps(StripeEvent.objects.get(pk=payload["id"]).payload)) == payload
