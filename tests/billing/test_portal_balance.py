"""The patient's balance in the portal, paid through Checkout on the practice's connected account."""

import pytest
from django_tenants.utils import tenant_context

from portal.models import PortalAccount, ProxyLink
from portal.sessions import ACTING_FOR_KEY
from practica.patient_billing import ledger
from practica.patient_billing.models import LedgerEntry, Payment
from practica.patient_billing.selectors import balance_cents
from tenants.models import Practice
from tests.billing.conftest import event, send
from tests.billing.fake_stripe import FakeStripe, complete_payment_checkout
from tests.conftest import host_of
from tests.portal.conftest import make_account, portal_client

pytestmark = pytest.mark.django_db


def _account_owing(practice: Practice, email: str, cents: int) -> PortalAccount:
    with tenant_context(practice):
        account = make_account(email, first_name="Rhea", last_name="Voss")
        # Staff memos can be clinical: the portal shows amounts and dates only.
        ledger.post_entry(account.patient, LedgerEntry.Kind.CHARGE, cents, memo="Dermatology follow-up")
        return account


def test_portal_balance_paid_in_part_through_checkout_and_webhook(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    account = _account_owing(connected, "rhea@example.com", 12_000)
    client = portal_client(account, connected)
    home = client.get("/portal/")
    assert b'href="/portal/balance/"' in home.content and b"Coming soon" not in home.content

    page = client.get("/portal/balance/")
    assert page.status_code == 200
    assert b"$120.00" in page.content and b"Charge" in page.content
    assert b"Dermatology" not in page.content

    go = client.post("/portal/balance/", {"amount": "30.00"})
    assert go.status_code == 302 and "/c/pay/cs_test_" in go["Location"]
    checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
    assert checkout.stripe_account == connected.stripe_account_id
    assert checkout.params["mode"] == "payment"
    assert checkout.params["line_items[0][price_data][unit_amount]"] == "3000"
    assert checkout.params["line_items[0][price_data][currency]"] == "usd"
    assert checkout.params["payment_intent_data[application_fee_amount]"] == "30"  # group plan: 1%
    assert checkout.params["success_url"].endswith("/portal/balance/?paid=1")
    with tenant_context(connected):
        payment = Payment.objects.get(patient=account.patient)
        assert payment.purpose == Payment.Purpose.BALANCE and payment.status == Payment.Status.PENDING
        assert balance_cents(account.patient) == 12_000  # the browser's return proves nothing
    assert checkout.idempotency_key == f"checkout-{payment.pk}"

    intent = complete_payment_checkout(fake_stripe, go["Location"].rsplit("/", 1)[1])
    succeeded = event("payment_intent.succeeded", intent, account=connected.stripe_account_id)
    assert send(succeeded, connect=True).status_code == 200
    assert send(succeeded, connect=True).status_code == 200  # a retried event posts nothing twice
    with tenant_context(connected):
        assert balance_cents(account.patient) == 9_000
        assert LedgerEntry.objects.filter(patient=account.patient, kind="payment").count() == 1

    after = client.get("/portal/balance/?paid=1")
    assert b"$90.00" in after.content and b"Payment" in after.content
    assert f"/portal/balance/payments/{payment.pk}/".encode() in after.content
    receipt = client.get(f"/portal/balance/payments/{payment.pk}/")
    assert receipt.status_code == 200 and b"$30.00" in receipt.content and b"Succeeded" in receipt.content


def test_bad_amounts_get_clear_errors_and_reach_no_stripe(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    account = _account_owing(connected, "amounts@example.com", 5_000)
    client = portal_client(account, connected)
    for amount, message in [
        ("0", b"more than $0.00"),
        ("-5.00", b"cannot be negative"),
        ("50.01", b"more than the balance owed ($50.00)"),
        ("ten", b"Enter a number"),
        ("", b"This field is required"),
    ]:
        response = client.post("/portal/balance/", {"amount": amount})
        assert response.status_code == 400, amount
        assert message in response.content, amount
    assert not fake_stripe.calls("POST", "/v1/checkout/sessions")
    paid_all = client.post("/portal/balance/", {"amount": "50.00"})
    assert paid_all.status_code == 302
    assert (
        fake_stripe.last("POST", "/v1/checkout/sessions").params["line_items[0][price_data][unit_amount]"]
        == "5000"
    )


def test_practice_without_card_payments_says_so(fake_stripe: FakeStripe, practice_b: Practice) -> None:
    account = _account_owing(practice_b, "nocards@example.com", 5_000)
    client = portal_client(account, practice_b)
    page = client.get("/portal/balance/")
    assert b"does not take card payments online yet" in page.content and b"Pay by card" not in page.content
    response = client.post("/portal/balance/", {"amount": "10.00"})  # a form from before: refused
    assert response.status_code == 400 and b"does not take card payments online yet" in response.content
    assert not fake_stripe.calls("POST", "/v1/checkout/sessions")


def test_guardian_pays_the_childs_balance(fake_stripe: FakeStripe, connected: Practice) -> None:
    guardian = _account_owing(connected, "parent@example.com", 1_000)
    with tenant_context(connected):
        child = make_account("child@example.com", first_name="Milo", last_name="Voss").patient
        ledger.post_entry(child, LedgerEntry.Kind.CHARGE, 7_500, memo="Vaccination")
        ProxyLink.objects.create(account=guardian, patient=child)
    client = portal_client(guardian, connected)
    session = client.session
    session[ACTING_FOR_KEY] = str(child.pk)
    session.save()
    page = client.get("/portal/balance/")
    assert b"Milo" in page.content and b"$75.00" in page.content and b"Vaccination" not in page.content
    assert client.post("/portal/balance/", {"amount": "75.00"}).status_code == 302
    with tenant_context(connected):
        assert Payment.objects.get().patient == child


def test_another_patient_and_practice_b_get_404(
    fake_stripe: FakeStripe, connected: Practice, practice_b: Practice
) -> None:
    owner = _account_owing(connected, "owner-of-payment@example.com", 4_000)
    assert portal_client(owner, connected).post("/portal/balance/", {"amount": "40.00"}).status_code == 302
    with tenant_context(connected):
        payment = Payment.objects.get(patient=owner.patient)
        other = make_account("other@example.com")
    url = f"/portal/balance/payments/{payment.pk}/"
    assert portal_client(owner, connected).get(url).status_code == 200
    assert portal_client(other, connected).get(url).status_code == 404
    with tenant_context(practice_b):
        at_b = make_account("at-b@example.com")
    assert portal_client(at_b, practice_b).get(url).status_code == 404
    # Practice B's patient sees their own (empty) account, nothing of practice A's.
    page = portal_client(at_b, practice_b).get("/portal/balance/")
    assert page.status_code == 200 and b"$0.00" in page.content and b"Rhea" not in page.content
    # A practice A session is worth nothing at practice B: to the login.
    assert portal_client(owner, connected).get(url, HTTP_HOST=host_of(practice_b)).status_code == 302
