import datetime
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from practica.celery import app as celery_app
from practica.scheduling.models import Provider
from tenants.models import Plan, Practice, StripeEvent
from tenants.subscriptions.checkout import start_subscription_checkout
from tenants.subscriptions.seats import sync_seats
from tests import flaky_mail
from tests.billing.conftest import event, send
from tests.billing.fake_stripe import FakeStripe, complete_checkout
from tests.conftest import PUBLIC_HOST, signed_in_client, staff
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def priced_plan() -> Plan:
    plan = Plan.objects.get(code="group")
    plan.stripe_monthly_price_id = "price_group_monthly"
    plan.stripe_yearly_price_id = "price_group_yearly"
    plan.save()
    return plan


def test_signup_continues_into_checkout_and_only_the_webhook_activates(
    fake_stripe: FakeStripe, priced_plan: Plan, client
) -> None:
    from django.test import Client

    response = Client(HTTP_HOST=PUBLIC_HOST).post(
        "/signup/",
        {
            "practice_name": "Gamma Care",
            "subdomain": "gamma",
            "owner_name": "Gail Gamma",
            "email": "gail@gamma.example",
            "password": "a-long-enough-passphrase-42",
            "plan": priced_plan.pk,
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"].startswith(fake_stripe.base_url + "/c/pay/cs_test_")
    customer = fake_stripe.last("POST", "/v1/customers")
    assert customer.params == {
        "name": "Gamma Care",
        "email": "gail@gamma.example",
        "metadata[practice]": Practice.objects.get(slug="gamma").schema_name,
    }
    practice = Practice.objects.get(slug="gamma")
    assert customer.idempotency_key == f"customer-{practice.schema_name}"
    checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
    assert checkout.params["mode"] == "subscription"
    assert checkout.params["line_items[0][price]"] == "price_group_monthly"
    assert checkout.params["line_items[0][quantity]"] == "1"
    assert checkout.params["subscription_data[trial_period_days]"] == str(priced_plan.trial_days)
    assert checkout.params["customer"] == practice.stripe_customer_id
    assert practice.status == Practice.Status.TRIAL  # the browser coming back proves nothing

    session_id = response["Location"].rsplit("/", 1)[1]
    session = complete_checkout(fake_stripe, session_id)
    assert send(event("checkout.session.completed", session)).status_code == 200
    practice.refresh_from_db()
    assert practice.status == Practice.Status.ACTIVE
    assert practice.stripe_subscription_id == session["subscription"]


def _subscribed(practice: Practice, fake: FakeStripe) -> dict:
    practice.plan = Plan.objects.get(code="group")
    practice.plan.stripe_monthly_price_id = "price_m"
    practice.plan.save()
    url = start_subscription_checkout(
        practice, owner_email="o@x.example", success_url="https://x/", cancel_url="https://x/"
    )
    session = complete_checkout(fake, url.rsplit("/", 1)[1])
    send(event("checkout.session.completed", session))
    practice.refresh_from_db()
    return session


def test_payment_failed_grace_then_read_only_then_paid(fake_stripe: FakeStripe, practice_a: Practice) -> None:
    session = _subscribed(practice_a, fake_stripe)
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "customer": session["customer"],
        "subscription": session["subscription"],
    }
    assert send(event("invoice.payment_failed", invoice)).status_code == 200
    practice_a.refresh_from_db()
    assert practice_a.status == Practice.Status.PAST_DUE
    owner = staff(practice_a)
    client = signed_in_client(owner, practice_a)
    page = client.get("/patients/")
    assert b"subscription payment failed" in page.content
    assert client.post("/patients/new/", {}).status_code != 403  # within the grace period: still writable

    Practice.objects.filter(pk=practice_a.pk).update(
        past_due_since=timezone.now() - datetime.timedelta(days=8)
    )
    blocked = client.post("/patients/new/", {"first_name": "A"})
    assert blocked.status_code == 403 and b"read-only" in blocked.content
    assert client.get("/patients/").status_code == 200  # staff can still view
    assert client.post("/billing/subscription/portal/").status_code == 302  # the owner can fix the card

    assert send(event("invoice.paid", invoice)).status_code == 200
    practice_a.refresh_from_db()
    assert practice_a.status == Practice.Status.ACTIVE and practice_a.past_due_since is None


def test_subscription_deleted_suspends_and_trial_notice_sent_once(
    fake_stripe: FakeStripe, practice_a: Practice, mailoutbox
) -> None:
    session = _subscribed(practice_a, fake_stripe)
    staff(practice_a, email="owner-a@alpha.example")
    sub = fake_stripe.objects[session["subscription"]]
    sub_public = {k: v for k, v in sub.items() if not k.startswith("_")}
    sub_public["trial_end"] = int(timezone.now().timestamp()) + 3 * 86400
    notice = event("customer.subscription.trial_will_end", sub_public)
    assert send(notice).status_code == 200
    assert send(notice).status_code == 200  # replay
    assert send(event("customer.subscription.trial_will_end", sub_public)).status_code == 200
    assert len(mailoutbox) == 1 and "trial" in mailoutbox[0].subject
    assert (
        send(event("customer.subscription.deleted", {**sub_public, "status": "canceled"})).status_code == 200
    )
    practice_a.refresh_from_db()
    assert practice_a.status == Practice.Status.SUSPENDED


def test_a_mail_server_down_neither_fails_the_webhook_nor_loses_the_trial_notice(
    fake_stripe: FakeStripe, practice_a: Practice, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner's email goes out from its own Celery task after the event commits, and is retried."""
    session = _subscribed(practice_a, fake_stripe)
    staff(practice_a, email="owner-a@alpha.example")
    sub = {k: v for k, v in fake_stripe.objects[session["subscription"]].items() if not k.startswith("_")}
    sub["trial_end"] = int(timezone.now().timestamp()) + 3 * 86400
    settings.EMAIL_BACKEND = "tests.flaky_mail.EmailBackend"
    # Tasks run inline in tests: let a retry run inline too, as a worker would run it a minute later.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
    flaky_mail.EmailBackend.failures, flaky_mail.EmailBackend.attempts = 1, 0
    notice = event("customer.subscription.trial_will_end", sub)
    assert send(notice).status_code == 200
    assert StripeEvent.objects.get(pk=notice["id"]).processed_at is not None
    practice_a.refresh_from_db()
    assert practice_a.trial_ending_notice_sent_at is not None
    assert flaky_mail.EmailBackend.attempts == 2  # refused once, sent by the retry
    [sent] = mail.outbox
    assert sent.to == ["owner-a@alpha.example"] and "trial" in sent.subject


def test_out_of_order_subscription_update_is_ignored(fake_stripe: FakeStripe, practice_a: Practice) -> None:
    session = _subscribed(practice_a, fake_stripe)
    sub = {k: v for k, v in fake_stripe.objects[session["subscription"]].items() if not k.startswith("_")}
    now = int(timezone.now().timestamp())
    send(event("customer.subscription.updated", {**sub, "status": "past_due"}, created=now + 10))
    send(event("customer.subscription.updated", {**sub, "status": "active"}, created=now + 5))  # older, late
    practice_a.refresh_from_db()
    assert practice_a.status == Practice.Status.PAST_DUE


def test_seats_follow_active_providers_with_proration(
    fake_stripe: FakeStripe, practice_a: Practice, django_capture_on_commit_callbacks
) -> None:
    session = _subscribed(practice_a, fake_stripe)
    from django_tenants.utils import tenant_context

    with tenant_context(practice_a):
        with django_capture_on_commit_callbacks(execute=True):
            ProviderFactory.create()
            ProviderFactory.create()
        count = Provider.objects.filter(is_active=True).count()
    update = fake_stripe.last("POST", f"/v1/subscriptions/{session['subscription']}")
    item = fake_stripe.objects[session["subscription"]]["items"]["data"][0]
    assert update.params == {
        "items[0][id]": item["id"],
        "items[0][quantity]": str(count),
        "proration_behavior": "create_prorations",
    }
    assert item["quantity"] == count
    assert sync_seats(practice_a) is None  # nothing to change


def test_owner_opens_customer_portal_others_cannot(fake_stripe: FakeStripe, practice_a: Practice) -> None:
    _subscribed(practice_a, fake_stripe)
    response = signed_in_client(staff(practice_a), practice_a).post("/billing/subscription/portal/")
    assert response.status_code == 302 and "/portal/bps_" in response["Location"]
    assert (
        fake_stripe.last("POST", "/v1/billing_portal/sessions").params["customer"]
        == practice_a.stripe_customer_id
    )
    biller = staff(practice_a, role="biller")
    assert signed_in_client(biller, practice_a).post("/billing/subscription/portal/").status_code == 403


def test_webhook_rejects_unsigned_bad_and_unknown(fake_stripe: FakeStripe, practice_a: Practice) -> None:
    from django.test import Client

    session = _subscribed(practice_a, fake_stripe)
    before = StripeEvent.objects.count()
    payload = event(
        "customer.subscription.deleted",
        {"id": session["subscription"], "object": "subscription", "customer": session["customer"]},
    )
    client = Client(HTTP_HOST=PUBLIC_HOST)
    import json

    assert (
        client.post(
            "/stripe/webhooks/platform/", json.dumps(payload), content_type="application/json"
        ).status_code
        == 400
    )
    assert send(payload, secret="whsec_wrong").status_code == 400
    assert send(payload, connect=True).status_code == 400  # platform event on the Connect endpoint
    assert send(event("plan.created", {"id": "plan_1", "object": "plan"})).status_code == 400
    assert StripeEvent.objects.count() == before
    practice_a.refresh_from_db()
    assert practice_a.status == Practice.Status.ACTIVE


def test_trial_practice_subscribes_yearly_from_the_back_office(
    fake_stripe: FakeStripe, practice_b: Practice
) -> None:
    plan = practice_b.plan
    assert plan is not None
    plan.stripe_monthly_price_id, plan.stripe_yearly_price_id = "price_m", "price_y"
    plan.save()
    owner = staff(practice_b)
    client = signed_in_client(owner, practice_b)
    assert client.post("/billing/subscription/checkout/", {"interval": "fortnight"}).status_code == 302
    assert not fake_stripe.calls("POST", "/v1/checkout/sessions")
    response = client.post("/billing/subscription/checkout/", {"interval": "year"})
    assert response.status_code == 302 and "/c/pay/" in response["Location"]
    checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
    assert checkout.params["line_items[0][price]"] == "price_y"
    assert checkout.params["client_reference_id"] == practice_b.schema_name
    manager = staff(practice_b, "manager")
    assert signed_in_client(manager, practice_b).post("/billing/subscription/checkout/").status_code == 403


def test_back_from_checkout_the_owner_is_handed_over_to_the_new_practice_afresh(
    fake_stripe: FakeStripe, priced_plan: Plan
) -> None:
    """Paying takes longer than a hand-off link lives (a minute): Checkout comes back to the public
    site, whose session (started at signup) hands the owner over with a new link."""
    from urllib.parse import urlsplit

    import time_machine
    from django.test import Client

    public = Client(HTTP_HOST=PUBLIC_HOST)
    response = public.post(
        "/signup/",
        {
            "practice_name": "Gamma Care",
            "subdomain": "gamma",
            "owner_name": "Gail Gamma",
            "email": "gail@gamma.example",
            "password": "a-long-enough-passphrase-42",
            "plan": priced_plan.pk,
        },
    )
    assert response["Location"].startswith(fake_stripe.base_url + "/c/pay/")
    checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
    back = f"https://{PUBLIC_HOST}/go/gamma/"
    assert checkout.params["success_url"] == back
    assert checkout.params["cancel_url"] == back

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=10)):
        handed = public.get(urlsplit(back).path)
        assert handed.status_code == 302
        target = urlsplit(handed["Location"])
        assert (target.scheme, target.hostname, target.path) == ("https", "gamma.practica.test", "/handoff/")
        practice_client = Client(HTTP_HOST="gamma.practica.test")
        arrived = practice_client.get(f"{target.path}?{target.query}")
        assert arrived.status_code == 302 and arrived["Location"] == "/"
        assert "Welcome, Gail Gamma" in practice_client.get("/").content.decode()
