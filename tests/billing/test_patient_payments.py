import datetime
import random
import re
import uuid
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.patient_billing import ledger, paylinks, payments
from practica.patient_billing.errors import BillingError
from practica.patient_billing.models import LedgerEntry, PayLink, Payment, StripeCustomer
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.scheduling.models import AppointmentType
from tenants.models import Practice
from tests.billing.conftest import event, send
from tests.billing.fake_stripe import FakeStripe, complete_payment_checkout, enable_charges
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import LocationFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _patient_owing(practice: Practice, cents: int, **fields: Any) -> Patient:
    with tenant_context(practice):
        patient = PatientFactory.create(**fields)
        ledger.post_entry(patient, LedgerEntry.Kind.CHARGE, cents, memo="Visit")
        return patient


def test_connect_onboarding_sends_exact_params_and_shows_status(
    fake_stripe: FakeStripe, practice_a: Practice
) -> None:
    owner = staff(practice_a)
    client = signed_in_client(owner, practice_a)
    client.post("/billing/connect/start/")
    practice_a.refresh_from_db()
    create = fake_stripe.last("POST", "/v1/accounts")
    assert create.params == {
        "type": "express",
        "country": "US",
        "business_profile[name]": "Alpha Clinic",
        "capabilities[card_payments][requested]": "true",
        "capabilities[transfers][requested]": "true",
        "metadata[practice]": practice_a.schema_name,
    }
    assert create.idempotency_key == f"connect-account-{practice_a.schema_name}"
    link = fake_stripe.last("POST", "/v1/account_links")
    assert link.params["account"] == practice_a.stripe_account_id
    assert link.params["type"] == "account_onboarding"
    page = client.get("/billing/")
    assert b"Charges enabled: <strong>no</strong>" in page.content
    assert b"external_account" in page.content  # what Stripe still needs
    enable_charges(fake_stripe, practice_a.stripe_account_id or "")
    client.get("/billing/connect/return/")
    assert b"Charges enabled: <strong>yes</strong>" in client.get("/billing/").content
    # Only those who manage the practice start onboarding; front desk sees no billing at all.
    assert (
        signed_in_client(staff(practice_a, Role.BILLER), practice_a)
        .post("/billing/connect/start/")
        .status_code
        == 403
    )
    assert (
        signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a).get("/billing/").status_code == 403
    )


def test_pay_by_link_direct_charge_with_fee_posts_from_webhook(
    fake_stripe: FakeStripe,
    connected: Practice,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    patient = _patient_owing(connected, 12_000, first_name="Zelda", last_name="Quill", email="zq@example.com")
    biller = staff(connected, Role.BILLER)
    with django_capture_on_commit_callbacks(execute=True):  # the email is queued on commit
        response = signed_in_client(biller, connected).post(
            f"/billing/patients/{patient.pk}/pay-link/", {"amount": "80.00"}
        )
    assert response.status_code == 302
    with tenant_context(connected):
        link = PayLink.objects.get(patient=patient)
    (message,) = mailoutbox
    assert message.to == ["zq@example.com"] and "$80.00" in message.body and "Alpha Clinic" in message.body
    # The signed link's token carries its own timestamp: read it from the email, then check it.
    found = re.search(r"https://\S+/pay/([^/\s]+)/", str(message.body))
    assert found is not None
    token = found.group(1)
    with tenant_context(connected):
        assert paylinks.pay_link_from_token(token) == link
    anonymous = Client(HTTP_HOST=host_of(connected))
    page = anonymous.get(f"/pay/{token}/")
    assert page.status_code == 200
    assert b"$80.00" in page.content and b"Alpha Clinic" in page.content
    assert b"Zelda" not in page.content and b"Quill" not in page.content  # amount and practice only

    go = anonymous.post(f"/pay/{token}/")
    assert go.status_code == 302 and "/c/pay/cs_test_" in go["Location"]
    checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
    assert checkout.stripe_account == connected.stripe_account_id
    assert checkout.params["mode"] == "payment"
    assert checkout.params["line_items[0][price_data][unit_amount]"] == "8000"
    assert checkout.params["line_items[0][price_data][currency]"] == "usd"
    assert checkout.params["payment_intent_data[application_fee_amount]"] == "80"  # group plan: 1%
    with tenant_context(connected):
        payment = Payment.objects.get(pay_link=link)
        assert balance_cents(patient) == 12_000  # not paid until Stripe says so
    assert checkout.idempotency_key == f"checkout-{payment.pk}"

    intent = complete_payment_checkout(fake_stripe, go["Location"].rsplit("/", 1)[1])
    succeeded = event("payment_intent.succeeded", intent, account=connected.stripe_account_id)
    assert send(succeeded, connect=True).status_code == 200
    assert send(succeeded, connect=True).status_code == 200  # Stripe retries: still one payment
    with tenant_context(connected):
        assert balance_cents(patient) == 4_000
        assert LedgerEntry.objects.filter(patient=patient, kind="payment").count() == 1

    paid = anonymous.get(f"/pay/{token}/")
    assert paid.status_code == 410 and b"already been paid" in paid.content
    home = signed_in_client(biller, connected).get("/billing/")
    assert b"$40.00" in home.content  # listed among the balances owed


def test_pay_link_allows_three_attempts(fake_stripe: FakeStripe, connected: Practice) -> None:
    patient = _patient_owing(connected, 3_000)
    with tenant_context(connected):
        _, token = paylinks.create_pay_link(patient, 3_000, by=None)
    anonymous = Client(HTTP_HOST=host_of(connected))
    for _ in range(3):  # e.g. the patient closed Stripe's page twice
        assert anonymous.post(f"/pay/{token}/").status_code == 302
    used_up = anonymous.post(f"/pay/{token}/")
    assert used_up.status_code == 410 and b"used too many times" in used_up.content
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 3


def test_failed_checkout_starts_do_not_use_up_a_pay_link(
    fake_stripe: FakeStripe, connected: Practice, settings: Any
) -> None:
    patient = _patient_owing(connected, 3_000)
    with tenant_context(connected):
        link, token = paylinks.create_pay_link(patient, 3_000, by=None)
    anonymous = Client(HTTP_HOST=host_of(connected))
    # Stripe unreachable (nothing listens on port 9 of loopback): a clear page, and no use counted.
    reachable = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    for _ in range(4):
        assert anonymous.post(f"/pay/{token}/").status_code == 502
    settings.STRIPE_API_BASE = reachable
    # Refused before Stripe: the balance was settled another way since the link was sent.
    with tenant_context(connected):
        ledger.post_entry(patient, LedgerEntry.Kind.ADJUSTMENT, -1_000, memo="Paid at the desk")
    for _ in range(4):
        refused = anonymous.post(f"/pay/{token}/")
        assert refused.status_code == 400 and b"more than the balance" in refused.content
    with tenant_context(connected):
        link.refresh_from_db()
        assert link.uses == 0
        assert not Payment.objects.filter(pay_link=link).exists()
        ledger.post_entry(patient, LedgerEntry.Kind.CHARGE, 1_000, memo="Visit")
    assert not fake_stripe.calls("POST", "/v1/checkout/sessions")
    # The link still has all its uses: each one is a Checkout session Stripe created.
    for _ in range(3):
        assert anonymous.post(f"/pay/{token}/").status_code == 302
    with tenant_context(connected):
        link.refresh_from_db()
        assert link.uses == 3
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 3


def test_pay_link_expired_tampered_and_over_balance(fake_stripe: FakeStripe, connected: Practice) -> None:
    patient = _patient_owing(connected, 5_000)
    with tenant_context(connected):
        link, token = paylinks.create_pay_link(patient, 5_000, by=None)
        with pytest.raises(BillingError, match="more than the balance"):
            paylinks.create_pay_link(patient, 5_001, by=None)
        PayLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    anonymous = Client(HTTP_HOST=host_of(connected))
    expired = anonymous.post(f"/pay/{token}/")
    assert expired.status_code == 410 and b"expired" in expired.content
    assert anonymous.get(f"/pay/{token[:-2]}xx/").status_code == 410
    # A link of practice A means nothing on practice B's host.
    assert Client(HTTP_HOST="beta.practica.test").get(f"/pay/{token}/").status_code == 410
    assert not fake_stripe.calls("POST", "/v1/checkout/sessions")


def test_bad_amounts_and_currency_get_clear_errors(connected: Practice) -> None:
    patient = _patient_owing(connected, 1_000)
    with tenant_context(connected):
        for cents, message in ((0, "more than zero"), (-5, "cannot be negative")):
            with pytest.raises(BillingError, match=message):
                ledger.post_entry(patient, LedgerEntry.Kind.PAYMENT, cents)
        with pytest.raises(BillingError, match="Only USD"):
            ledger.post_entry(patient, LedgerEntry.Kind.CHARGE, 100, currency="eur")
        with pytest.raises(BillingError, match="more than the balance"):
            payments.start_payment_checkout(
                connected,
                patient,
                1_001,
                purpose="balance",
                success_url="https://x/",
                cancel_url="https://x/",
            )
        with pytest.raises(BillingError, match="write-off cannot be more"):
            ledger.write_off(patient, 1_001, memo="", created_by=None)
    biller = staff(connected, Role.BILLER)
    form = signed_in_client(biller, connected).post(
        f"/billing/patients/{patient.pk}/", {"kind": "charge", "amount": "0", "memo": ""}
    )
    assert form.status_code == 400 and b"more than zero" in form.content


def test_ledger_is_append_only_in_the_database(connected: Practice) -> None:
    patient = _patient_owing(connected, 1_000)
    with tenant_context(connected):
        entry = LedgerEntry.objects.get(patient=patient)
        with pytest.raises(ValueError, match="append-only"):
            entry.save()
        from django.db import transaction

        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE billing_ledgerentry SET amount_cents = 1 WHERE id = %s", [entry.pk])


def _paid(
    fake: FakeStripe, practice: Practice, patient: Patient, cents: int
) -> tuple[Payment, dict[str, Any]]:
    with tenant_context(practice):
        payment, url = payments.start_payment_checkout(
            practice, patient, cents, purpose="balance", success_url="https://x/", cancel_url="https://x/"
        )
    return payment, complete_payment_checkout(fake, url.rsplit("/", 1)[1])


def _events_for(practice: Practice, intent: dict[str, Any], t0: int) -> list[dict[str, Any]]:
    acct = practice.stripe_account_id
    charge = {
        "id": intent["latest_charge"],
        "object": "charge",
        "amount": intent["amount"],
        "amount_refunded": 2_500,
        "currency": "usd",
        "payment_intent": intent["id"],
        "metadata": intent["metadata"],
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [
                {
                    "id": f"re_{intent['id']}_1",
                    "object": "refund",
                    "amount": 1_000,
                    "currency": "usd",
                    "status": "succeeded",
                },
                {
                    "id": f"re_{intent['id']}_2",
                    "object": "refund",
                    "amount": 1_500,
                    "currency": "usd",
                    "status": "succeeded",
                },
            ],
            "has_more": False,
        },
    }
    dispute = {
        "id": f"dp_{intent['id']}",
        "object": "dispute",
        "amount": 3_000,
        "charge": intent["latest_charge"],
        "currency": "usd",
        "payment_intent": intent["id"],
        "reason": "fraudulent",
    }
    first_refund_only = {
        **charge,
        "amount_refunded": 1_000,
        "refunds": {**charge["refunds"], "data": charge["refunds"]["data"][:1]},
    }
    return [
        event("payment_intent.succeeded", intent, account=acct, created=t0),
        event("charge.refunded", first_refund_only, account=acct, created=t0 + 1),
        event("charge.refunded", charge, account=acct, created=t0 + 2),
        event(
            "charge.dispute.created", {**dispute, "status": "needs_response"}, account=acct, created=t0 + 3
        ),
        event("charge.dispute.closed", {**dispute, "status": "lost"}, account=acct, created=t0 + 4),
    ]


def _ledger_shape(practice: Practice, patient: Patient) -> tuple[Counter[tuple[str, int]], int, str]:
    from practica.patient_billing.models import Dispute

    with tenant_context(practice):
        shape = Counter((e.kind, e.amount_cents) for e in LedgerEntry.objects.filter(patient=patient))
        dispute = Dispute.objects.get(payment__patient=patient)
        return shape, balance_cents(patient), dispute.status


def test_ledger_ends_identical_with_replays_and_out_of_order_events(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    t0 = int(timezone.now().timestamp())
    in_order = _patient_owing(connected, 10_000)
    shuffled = _patient_owing(connected, 10_000)
    _, intent_1 = _paid(fake_stripe, connected, in_order, 10_000)
    _, intent_2 = _paid(fake_stripe, connected, shuffled, 10_000)
    for payload in _events_for(connected, intent_1, t0):
        assert send(payload, connect=True).status_code == 200
    chaos = _events_for(connected, intent_2, t0)
    chaos = chaos + chaos[:3]  # replays of the same event ids
    random.Random(6).shuffle(chaos)
    chaos.reverse()
    for payload in chaos:
        assert send(payload, connect=True).status_code == 200

    expected = Counter(
        {
            ("charge", 10_000): 1,
            ("payment", -10_000): 1,
            ("refund", 1_000): 1,
            ("refund", 1_500): 1,
            ("adjustment", 3_000): 1,
        }
    )
    assert _ledger_shape(connected, in_order) == (expected, 5_500, "lost")
    assert _ledger_shape(connected, shuffled) == (expected, 5_500, "lost")


def test_refunds_partial_then_full_role_limited(fake_stripe: FakeStripe, connected: Practice) -> None:
    patient = _patient_owing(connected, 6_000)
    payment, intent = _paid(fake_stripe, connected, patient, 6_000)
    send(event("payment_intent.succeeded", intent, account=connected.stripe_account_id), connect=True)
    biller = signed_in_client(staff(connected, Role.BILLER), connected)
    front_desk = signed_in_client(staff(connected, Role.FRONT_DESK), connected)
    assert front_desk.post(f"/billing/payments/{payment.pk}/refund/", {"amount": "10.00"}).status_code == 403

    assert biller.post(f"/billing/payments/{payment.pk}/refund/", {"amount": "10.00"}).status_code == 302
    partial = fake_stripe.last("POST", "/v1/refunds")
    assert partial.params == {
        "payment_intent": intent["id"],
        "amount": "1000",
        "metadata[payment]": str(payment.pk),
    }
    assert partial.stripe_account == connected.stripe_account_id
    assert partial.idempotency_key == f"refund-{payment.pk}-6000-1000"

    too_much = biller.post(f"/billing/payments/{payment.pk}/refund/", {"amount": "50.01"})
    assert too_much.status_code == 400 and b"At most $50.00" in too_much.content
    assert biller.post(f"/billing/payments/{payment.pk}/refund/", {"amount": "-1"}).status_code == 400
    assert (
        biller.post(f"/billing/payments/{payment.pk}/refund/", {"amount": ""}).status_code == 302
    )  # the rest
    assert fake_stripe.last("POST", "/v1/refunds").params["amount"] == "5000"
    with tenant_context(connected):
        assert balance_cents(patient) == 6_000
    # Stripe's charge.refunded for the same refunds posts nothing new.
    refunds = [o for o in fake_stripe.objects.values() if o["object"] == "refund"]
    charge = {
        "id": intent["latest_charge"],
        "object": "charge",
        "payment_intent": intent["id"],
        "metadata": intent["metadata"],
        "refunds": {
            "object": "list",
            "data": [{k: v for k, v in r.items() if k != "_account"} for r in refunds],
        },
    }
    send(event("charge.refunded", charge, account=connected.stripe_account_id), connect=True)
    with tenant_context(connected):
        assert LedgerEntry.objects.filter(patient=patient, kind="refund").count() == 2


def test_card_on_file_with_consent_and_one_click_fee(
    fake_stripe: FakeStripe,
    connected: Practice,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    patient = _patient_owing(connected, 100, email="pat@example.com")
    biller = signed_in_client(staff(connected, Role.BILLER), connected)
    refused = biller.post(f"/billing/patients/{patient.pk}/card/", {})
    assert refused.status_code == 400 and b"must agree" in refused.content
    go = biller.post(f"/billing/patients/{patient.pk}/card/", {"consent": "on"})
    assert go.status_code == 302
    setup = fake_stripe.last("POST", "/v1/checkout/sessions")
    assert setup.params["mode"] == "setup" and setup.stripe_account == connected.stripe_account_id
    customer_id = setup.params["customer"]
    assert fake_stripe.last("POST", "/v1/customers").params == {"metadata[patient]": str(patient.pk)}
    seti = {
        "id": "seti_1",
        "object": "setup_intent",
        "customer": customer_id,
        "payment_method": "pm_saved",
        "status": "succeeded",
    }
    send(event("setup_intent.succeeded", seti, account=connected.stripe_account_id), connect=True)

    key = uuid.uuid4()
    fee = {"purpose": "no_show_fee", "amount": "25.00", "request_key": str(key)}
    with django_capture_on_commit_callbacks(execute=True):  # the receipt is queued on commit
        assert biller.post(f"/billing/patients/{patient.pk}/fee/", fee).status_code == 302
    charge = fake_stripe.last("POST", "/v1/payment_intents")
    assert charge.params == {
        "amount": "2500",
        "currency": "usd",
        "customer": customer_id,
        "payment_method": "pm_saved",
        "off_session": "true",
        "confirm": "true",
        "application_fee_amount": "25",
        "description": "No-show fee - Alpha Clinic",
        "metadata[payment]": str(key),
    }
    assert charge.stripe_account == connected.stripe_account_id and charge.idempotency_key == f"fee-{key}"
    again = biller.post(f"/billing/patients/{patient.pk}/fee/", fee)  # a double click
    assert again.status_code == 400 and b"already charged" in again.content
    assert len(fake_stripe.calls("POST", "/v1/payment_intents")) == 1
    with tenant_context(connected):
        assert balance_cents(patient) == 100  # fee charged and paid
        assert StripeCustomer.objects.get(patient=patient).has_card
    assert mailoutbox[-1].to == ["pat@example.com"] and "$25.00" in mailoutbox[-1].body

    fake_stripe.declining_payment_methods.add("pm_saved")
    declined = biller.post(f"/billing/patients/{patient.pk}/fee/", {**fee, "request_key": str(uuid.uuid4())})
    assert declined.status_code == 400 and b"declined" in declined.content


def test_no_clinical_information_reaches_stripe(fake_stripe: FakeStripe, connected: Practice) -> None:
    with tenant_context(connected):
        AppointmentType.objects.create(name="Colposcopy follow-up", duration_minutes=30)
    patient = _patient_owing(
        connected, 9_000, first_name="Ophelia", last_name="Marchbanks", email="o@example.com"
    )
    _, intent = _paid(fake_stripe, connected, patient, 4_000)
    send(event("payment_intent.succeeded", intent, account=connected.stripe_account_id), connect=True)
    biller = signed_in_client(staff(connected, Role.BILLER), connected)
    with tenant_context(connected):
        payment = Payment.objects.get(stripe_payment_intent=intent["id"])
    biller.post(f"/billing/payments/{payment.pk}/refund/", {"amount": "5.00"})
    biller.post(f"/billing/patients/{patient.pk}/card/", {"consent": "on"})
    with tenant_context(connected):
        types = list(AppointmentType.objects.values_list("name", flat=True))
    forbidden = [*types, "Colposcopy", "Ophelia", "Marchbanks", "1980-05-17", "Visit"]
    assert len(fake_stripe.requests) >= 5
    for request in fake_stripe.requests:
        sent = " ".join([request.path, *request.params.keys(), *request.params.values()]).lower()
        for word in forbidden:
            assert word.lower() not in sent, f"{word!r} sent to Stripe in {request.method} {request.path}"


def test_reports_payouts_and_tenant_isolation(
    fake_stripe: FakeStripe, connected: Practice, practice_b: Practice
) -> None:
    with tenant_context(connected):
        north = LocationFactory.create(name="North Office")
    patient = _patient_owing(connected, 5_000)
    with tenant_context(connected):
        payment, url = payments.start_payment_checkout(
            connected,
            patient,
            3_000,
            purpose="balance",
            success_url="https://x/",
            cancel_url="https://x/",
            location=north,
        )
    intent = complete_payment_checkout(fake_stripe, url.rsplit("/", 1)[1])
    send(event("payment_intent.succeeded", intent, account=connected.stripe_account_id), connect=True)
    biller = signed_in_client(staff(connected, Role.BILLER), connected)
    report = biller.get("/billing/reports/daily/")
    assert b"North Office" in report.content and b"$30.00" in report.content
    assert biller.get("/billing/reports/daily/?date=yesterday").status_code == 400

    fake_stripe.add_payout(
        connected.stripe_account_id or "",
        2_883,
        [
            {
                "id": "txn_1",
                "object": "balance_transaction",
                "type": "charge",
                "source": intent["latest_charge"],
                "amount": 3_000,
                "fee": 117,
                "net": 2_883,
            },
            {
                "id": "txn_2",
                "object": "balance_transaction",
                "type": "charge",
                "source": "ch_unknown",
                "amount": 500,
                "fee": 0,
                "net": 500,
            },
        ],
    )
    page = biller.get("/billing/payouts/")
    assert page.status_code == 200
    assert b"1 line(s) not found in the ledger" in page.content
    assert fake_stripe.last("GET", "/v1/payouts").stripe_account == connected.stripe_account_id

    ledger_page = biller.get(f"/billing/patients/{patient.pk}/")
    assert ledger_page.status_code == 200 and b"$20.00" in ledger_page.content
    other = signed_in_client(staff(practice_b, Role.BILLER), practice_b)
    assert other.get(f"/billing/patients/{patient.pk}/").status_code == 404
    assert other.post(f"/billing/payments/{payment.pk}/refund/", {"amount": "1.00"}).status_code == 404
    assert (
        signed_in_client(staff(connected, Role.CLINICIAN), connected)
        .get(f"/billing/patients/{patient.pk}/")
        .status_code
        == 403
    )


def test_connect_event_for_unknown_account_is_refused(fake_stripe: FakeStripe, connected: Practice) -> None:
    payload = event(
        "payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"}, account="acct_nobody"
    )
    assert send(payload, connect=True).status_code == 400
    assert (
        send({**payload, "account": connected.stripe_account_id}).status_code == 400
    )  # wrong endpoint secret/type


def test_ledger_page_queries_do_not_grow_with_entries(
    connected: Practice, django_assert_max_num_queries: Any
) -> None:
    patient = _patient_owing(connected, 1_000)
    biller = signed_in_client(staff(connected, Role.BILLER), connected)
    biller.get(f"/billing/patients/{patient.pk}/")  # warm caches (session, content types)
    with django_assert_max_num_queries(30) as few:
        biller.get(f"/billing/patients/{patient.pk}/")
    with tenant_context(connected):
        for _ in range(30):
            ledger.post_entry(patient, LedgerEntry.Kind.CHARGE, 100, location=LocationFactory.create())
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = biller.get(f"/billing/patients/{patient.pk}/")
    assert page.content.count(b"<td>Charge</td>") == 31


def test_stripe_refusals_and_missing_setup_are_clear_errors(
    fake_stripe: FakeStripe, connected: Practice, settings: Any
) -> None:
    patient = _patient_owing(connected, 2_000)
    payment, intent = _paid(fake_stripe, connected, patient, 2_000)
    send(event("payment_intent.succeeded", intent, account=connected.stripe_account_id), connect=True)
    fake_stripe.objects.pop(intent["id"])  # Stripe no longer knows the payment
    biller = signed_in_client(staff(connected, Role.BILLER), connected)
    refused = biller.post(f"/billing/payments/{payment.pk}/refund/", {"amount": "1.00"})
    assert refused.status_code == 502 and b"Stripe could not do this" in refused.content
    with tenant_context(connected):
        assert not LedgerEntry.objects.filter(patient=patient, kind="refund").exists()
    settings.STRIPE_SECRET_KEY = ""
    owner = signed_in_client(staff(connected), connected)
    unconfigured = owner.post("/billing/connect/start/")
    assert unconfigured.status_code == 503 and b"not set up" in unconfigured.content


def test_application_fee_follows_the_plan(fake_stripe: FakeStripe, connected: Practice) -> None:
    assert connected.plan is not None
    connected.plan.application_fee_bps = 250
    connected.plan.save()
    patient = _patient_owing(connected, 10_001)
    _paid(fake_stripe, connected, patient, 10_001)
    checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
    assert checkout.params["payment_intent_data[application_fee_amount]"] == "250"  # 2.5%, rounded down
