"""Billing tests: the official stripe SDK against the fake Stripe server (see fake_stripe.py)."""

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, TestCase

from tenants.models import Practice
from tests.billing.fake_stripe import FakeStripe, enable_charges, event_payload
from tests.conftest import PUBLIC_HOST, signed_in_client, staff


@pytest.fixture
def fake_stripe(_fake_stripe_server: FakeStripe) -> FakeStripe:
    _fake_stripe_server.reset()
    return _fake_stripe_server


def signed(payload: dict[str, Any], secret: str, at: int | None = None) -> tuple[bytes, str]:
    """Stripe's scheme: t=<time>,v1=HMAC-SHA256(secret, f"{t}.{body}")."""
    body = json.dumps(payload).encode()
    t = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={t},v1={mac}"


_counter = iter(range(1, 10**9))


def event(
    kind: str, obj: dict[str, Any], *, account: str | None = None, created: int | None = None
) -> dict[str, Any]:
    return event_payload(
        f"evt_test_{next(_counter):08d}", kind, obj, account=account, created=created or int(time.time())
    )


def send(payload: dict[str, Any], *, connect: bool = False, secret: str | None = None) -> Any:
    secret = secret or (settings.STRIPE_CONNECT_WEBHOOK_SECRET if connect else settings.STRIPE_WEBHOOK_SECRET)
    body, header = signed(payload, secret)
    path = "/stripe/webhooks/connect/" if connect else "/stripe/webhooks/platform/"
    # The endpoint hands the event to Celery on commit; run those callbacks as a commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client(HTTP_HOST=PUBLIC_HOST).post(
            path, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )


@pytest.fixture
def connected(fake_stripe: FakeStripe, practice_a: Practice) -> Practice:
    """Practice A onboarded to Connect through the back office, charges enabled by Stripe's event."""
    # From no account, whatever an earlier test left on the shared practice row: this test's fake
    # Stripe knows only the accounts made during it.
    Practice.objects.filter(pk=practice_a.pk).update(
        stripe_account_id=None, connect_charges_enabled=False, connect_payouts_enabled=False
    )
    owner = staff(practice_a)
    response = signed_in_client(owner, practice_a).post("/billing/connect/start/")
    assert response.status_code == 302 and "/setup/s/acct_" in response["Location"]
    practice_a.refresh_from_db()
    account = enable_charges(fake_stripe, practice_a.stripe_account_id or "")
    assert send(event("account.updated", account, account=account["id"]), connect=True).status_code == 200
    practice_a.refresh_from_db()
    assert practice_a.connect_charges_enabled
    return practice_a
