"""A patient pays what they owe, in a real browser: the portal's balance page sends them to Stripe's
hosted Checkout on the practice's connected account (the fake's page), they pay, and Stripe's signed
webhook (posted by the fake to the server, in the background) moves the ledger. The portal then
shows the balance at zero and the payment, and a biller sees it on the patient's account in the
back office. The portal pages pass axe-core."""

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context

from practica.accounts.models import Membership
from practica.accounts.roles import Role
from practica.patient_billing import ledger, payments
from practica.patient_billing.models import LedgerEntry, Payment
from tenants.models import Practice, StripeEvent
from tests.billing.fake_stripe import FakeStripe, enable_charges
from tests.e2e.conftest import Server, Site, assert_accessible, sign_in_staff
from tests.factories import UserFactory
from tests.portal.conftest import PATIENT_PASSWORD, make_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

PATIENT_EMAIL = "rhea.voss@example.org"
BILLER_EMAIL = "biller@e2e.example"
OWED_CENTS = 8_500
CARD = "4242 4242 4242 4242"
WEBHOOK_WAIT_SECONDS = 15


@dataclass
class Owing:
    patient_id: str


@pytest.fixture(scope="module")
def card_payments(
    e2e_site: Site, server: Server, stripe_fake: FakeStripe, django_db_blocker: Any
) -> Iterator[str]:
    """The practice connected to Stripe: its account is made through the product's onboarding call,
    and Stripe's account.updated webhook (charges enabled) reaches the server. Undone afterwards:
    other tests count the platform's Stripe events, and find the e2e practice as provisioned."""
    practice = e2e_site.practice
    with django_db_blocker.unblock():
        with override_settings(STRIPE_API_BASE=stripe_fake.base_url):
            payments.start_connect_onboarding(
                practice, refresh_url=server.base_url + "/", return_url=server.base_url + "/"
            )
        account_id = practice.stripe_account_id or ""
        enable_charges(stripe_fake, account_id)
        with stripe_fake.lock:
            event = stripe_fake.emit("account.updated", stripe_fake.objects[account_id], account_id)
        stripe_fake.deliver([event])
        assert _answers(stripe_fake, event["id"]) == [200], stripe_fake.deliveries
        practice.refresh_from_db()
        assert practice.connect_charges_enabled
    yield account_id
    with django_db_blocker.unblock():
        StripeEvent.objects.filter(account=account_id).delete()
        Practice.objects.filter(pk=practice.pk).update(
            stripe_account_id=None,
            connect_charges_enabled=False,
            connect_payouts_enabled=False,
            connect_requirements_due=[],
        )
        practice.refresh_from_db()


@pytest.fixture(scope="module")
def owing(e2e_site: Site, django_db_blocker: Any) -> Owing:
    """A patient with a portal account and a visit charge on their ledger, and a biller, committed
    so that the server sees them."""
    with django_db_blocker.unblock():
        biller = UserFactory.create(email=BILLER_EMAIL, full_name="Bea Biller")
        Membership.objects.create(user=biller, practice=e2e_site.practice, role=Role.BILLER)
        with tenant_context(e2e_site.practice):
            account = make_account(PATIENT_EMAIL, first_name="Rhea", last_name="Voss")
            # Staff memos may be clinical: the portal must show amounts and dates only.
            ledger.post_entry(
                account.patient, LedgerEntry.Kind.CHARGE, OWED_CENTS, memo="Dermatology follow-up"
            )
    return Owing(str(account.patient_id))


def _answers(fake: FakeStripe, event_id: str) -> list[int | None]:
    return [d.status for d in fake.deliveries if d.event_id == event_id]


def _wait_for_balance(page: Any, expected: str, fake: FakeStripe, server: Server) -> None:
    """Reloads until the balance shows `expected`: the webhook arrives on its own time, as Stripe's."""
    deadline = time.monotonic() + WEBHOOK_WAIT_SECONDS
    shown = page.locator("#balance").inner_text()
    while shown != expected and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
        shown = page.locator("#balance").inner_text()
    assert shown == expected, (
        f"the balance still shows {shown} after {WEBHOOK_WAIT_SECONDS} s, not {expected}.\n"
        f"Webhook deliveries: {fake.deliveries}\nServer log (end):\n{server.log.read_text()[-3000:]}"
    )


def test_patient_pays_the_balance_through_checkout_and_the_ledger_shows_it(
    e2e_site: Site,
    server: Server,
    stripe_fake: FakeStripe,
    card_payments: str,
    owing: Owing,
    new_context: Any,
) -> None:
    page = new_context().new_page()
    page.goto(f"{server.base_url}/portal/login/")
    page.get_by_label("Email").fill(PATIENT_EMAIL)
    page.get_by_label("Password").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.base_url}/portal/")
    with page.expect_response("**/portal/balance/") as arrived:
        page.get_by_role("link", name="Your balance and payments").click()
    page.wait_for_url("**/portal/balance/")
    # Chromium holds the Pay button's redirect to form-action: Stripe's Checkout must be listed
    # (this server adds the fake's origin, which stands in for it).
    form_action = re.search(r"form-action ([^;]*)", arrived.value.headers["content-security-policy"])
    assert form_action and "https://checkout.stripe.com" in form_action.group(1).split()
    assert page.locator("#balance").inner_text() == "$85.00"
    assert "Dermatology" not in page.content()
    assert_accessible(page)

    assert page.get_by_label("Amount to pay (USD)").input_value() == "85.00"
    page.get_by_role("button", name="Pay by card").click()
    page.wait_for_url(f"{stripe_fake.base_url}/c/pay/**")
    checkout = stripe_fake.last("POST", "/v1/checkout/sessions")
    assert checkout.stripe_account == card_payments
    assert checkout.params["line_items[0][price_data][unit_amount]"] == str(OWED_CENTS)
    page.get_by_text("$85.00").first.wait_for()
    page.get_by_label("Card number").fill(CARD)
    page.get_by_role("button", name="Pay $85.00").click()

    page.wait_for_url(re.compile(r"/portal/balance/\?paid=1$"))
    page.get_by_role("status").wait_for()
    assert_accessible(page)
    _wait_for_balance(page, "$0.00", stripe_fake, server)
    history = page.get_by_role("table")
    history.get_by_role("link", name="Payment").wait_for()
    (paid_row,) = history.get_by_role("row").filter(has_text="Payment").all()
    assert "-$85.00" in paid_row.inner_text()
    assert_accessible(page)
    history.get_by_role("link", name="Payment").click()
    page.get_by_role("heading", name="Payment").wait_for()
    assert "Succeeded" in page.content() and "$85.00" in page.content()
    assert_accessible(page)

    staff = new_context().new_page()
    sign_in_staff(staff, server, BILLER_EMAIL)
    staff.goto(f"{server.base_url}/billing/patients/{owing.patient_id}/")
    staff.get_by_role("heading", name="Account of Voss, Rhea").wait_for()
    assert staff.locator("#balance").inner_text() == "$0.00"
    (paid_entry,) = staff.get_by_role("row").filter(has_text="Card payment (Balance)").all()
    assert "-$85.00" in paid_entry.inner_text()

    with tenant_context(e2e_site.practice):
        payment = Payment.objects.get(patient_id=owing.patient_id)
    assert payment.status == Payment.Status.SUCCEEDED and payment.amount_cents == OWED_CENTS
    intent = stripe_fake.objects[payment.stripe_payment_intent or ""]
    assert intent["_account"] == card_payments and intent["metadata"] == {"payment": str(payment.pk)}
    delivered = {(d.event_type, d.status) for d in stripe_fake.deliveries}
    assert {("checkout.session.completed", 200), ("payment_intent.succeeded", 200)} <= delivered
