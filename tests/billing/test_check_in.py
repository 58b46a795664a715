"""Check-in with money: what is owed (copay, past balance), cash and check taken by the front desk
with a receipt (email or PDF), card on the practice's Connect account, and the daily close."""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.insurance.services import save_coverage
from practica.patient_billing import desk, ledger
from practica.patient_billing.errors import BillingError
from practica.patient_billing.models import LedgerEntry, Payment
from practica.patient_billing.selectors import balance_cents, daily_close
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.billing.conftest import event, send
from tests.billing.fake_stripe import FakeStripe, complete_payment_checkout
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic, make_clinic

pytestmark = pytest.mark.django_db


def _visit(practice: Practice, *, copay: int | None = 2_500, owed: int = 4_000) -> tuple[Clinic, Appointment]:
    with tenant_context(practice):
        clinic = make_clinic(
            practice, patient={"first_name": "Grace", "last_name": "Chen", "email": "grace@example.org"}
        )
        save_coverage(
            clinic.patient,
            {"payer_name": "Acme Health", "member_id": "M1", "relationship": "18", "copay_cents": copay},
        )
        if owed:
            ledger.post_entry(clinic.patient, LedgerEntry.Kind.CHARGE, owed, memo="Earlier visit")
        return clinic, clinic.book(clinic.next_weekday_at(10))


def test_the_desk_sees_copay_and_past_balance_and_takes_cash_with_an_emailed_receipt(
    practice_a: Practice, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    clinic, appointment = _visit(practice_a)
    desk_person = staff(practice_a, Role.FRONT_DESK, full_name="Dana Desk")
    client = signed_in_client(desk_person, practice_a)
    page = client.get(f"/schedule/appointments/{appointment.pk}/check-in/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "$25.00" in text and "$40.00" in text and 'value="65.00"' in text  # copay + balance
    assert 'id="cards-hint"' in text and "Set up card payments" not in text  # owner's link only
    assert 'value="card"' not in text  # no Connect account: no card offered

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            f"/schedule/appointments/{appointment.pk}/check-in/",
            {"amount": "25.00", "method": "cash", "email_receipt": "on"},
        )
    assert done.status_code == 302 and "/billing/receipts/" in done["Location"]
    with tenant_context(practice_a):
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CHECKED_IN
        entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.PAYMENT)
        assert (entry.method, entry.amount_cents, entry.appointment_id) == ("cash", -2_500, appointment.pk)
        assert entry.created_by == desk_person and entry.location == clinic.location
        assert balance_cents(clinic.patient) == 1_500
        event_row = AuditEvent.objects.get(object_type="billing.ledgerentry", object_id=str(entry.pk))
        assert event_row.actor_email == desk_person.email and event_row.action == "create"
        assert desk.due_at_check_in(appointment).copay_left_cents == 0  # taken for this visit
    (message,) = mailoutbox
    assert message.to == ["grace@example.org"]
    assert "$25.00" in message.body and "Cash" in message.body and "R-" in message.body
    assert "Earlier visit" not in message.body  # nothing about visits

    receipt = client.get(done["Location"])
    assert receipt.status_code == 200 and b"$25.00" in receipt.content
    pdf = client.get(f"/billing/receipts/{entry.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_check_needs_its_number_and_front_desk_cannot_refund_or_write_off(practice_a: Practice) -> None:
    clinic, appointment = _visit(practice_a, copay=None, owed=0)
    client = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    url = f"/schedule/appointments/{appointment.pk}/check-in/"
    page = client.get(url)
    assert b"Not known" in page.content and b'id="suggested"><strong>$0.00' in page.content
    refused = client.post(url, {"amount": "30.00", "method": "check", "check_number": " "})
    assert refused.status_code == 400 and b"Enter the check number." in refused.content
    with tenant_context(practice_a):
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.BOOKED  # neither the check-in nor the payment
    assert client.post(url, {"amount": "30.00", "method": "check", "check_number": "1042"}).status_code == 302
    with tenant_context(practice_a):
        entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.PAYMENT)
        assert (entry.method, entry.check_number, entry.memo) == ("check", "1042", "Check #1042 at check-in")
        assert balance_cents(clinic.patient) == -3_000  # a credit until the visit's charge is posted

    ledger_url = f"/billing/patients/{clinic.patient.pk}/"
    assert client.get(ledger_url).status_code == 200
    write_off = client.post(ledger_url, {"kind": "write_off", "amount": "5.00"})
    assert write_off.status_code == 400
    paid = client.post(ledger_url, {"kind": "payment", "amount": "5.00", "method": "cash"})
    assert paid.status_code == 302
    with tenant_context(practice_a):
        assert balance_cents(clinic.patient) == -3_500
        payment = Payment.objects.create(
            patient=clinic.patient, purpose="balance", amount_cents=100, status="succeeded"
        )
    assert client.post(f"/billing/payments/{payment.pk}/refund/", {"amount": "1.00"}).status_code == 403
    assert client.get("/billing/").status_code == 403  # the rest of billing stays the billers'
    clinician = signed_in_client(staff(practice_a, Role.CLINICIAN), practice_a)
    assert clinician.get(ledger_url).status_code == 403
    checked_in = clinician.post(url, {"amount": "9.00", "method": "cash"})  # checks in; takes nothing
    assert checked_in.status_code == 302
    with tenant_context(practice_a):
        assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 2


def test_services_refuse_bad_payments(practice_a: Practice) -> None:
    _clinic, appointment = _visit(practice_a, owed=0)
    with tenant_context(practice_a):
        for amount, method, number, message in [
            (0, "cash", "", "more than zero"),
            (-100, "cash", "", "negative"),
            (100, "card", "", "card payments go through"),
            (100, "check", "", "check number"),
        ]:
            with pytest.raises(BillingError, match=message):
                desk.take_payment(appointment.patient, amount, method=method, check_number=number, by=None)
        assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_card_at_check_in_goes_through_checkout_on_the_connect_account(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    clinic, appointment = _visit(connected, owed=0)
    client = signed_in_client(staff(connected, Role.FRONT_DESK), connected)
    url = f"/schedule/appointments/{appointment.pk}/check-in/"
    page = client.get(url)
    assert b'value="card"' in page.content and b'id="cards-hint"' not in page.content
    started = client.post(url, {"amount": "25.00", "method": "card"})
    assert started.status_code == 200 and b"/c/pay/cs_test_" in started.content and b"<svg" in started.content
    checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
    assert checkout.stripe_account == connected.stripe_account_id
    assert checkout.params["line_items[0][price_data][unit_amount]"] == "2500"
    assert checkout.params["success_url"].endswith("/pay/thanks/")
    with tenant_context(connected):
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CHECKED_IN
        payment = Payment.objects.get(purpose=Payment.Purpose.COPAY)
        assert balance_cents(clinic.patient) == 0  # posted from Stripe's event, not the page
        session_id = payment.stripe_checkout_session
    intent = complete_payment_checkout(fake_stripe, session_id)
    send(event("payment_intent.succeeded", intent, account=connected.stripe_account_id), connect=True)
    with tenant_context(connected):
        entry = LedgerEntry.objects.get(payment=payment)
        assert (entry.method, entry.appointment_id, entry.amount_cents) == ("card", appointment.pk, -2_500)


def test_daily_close_shows_every_method_and_each_persons_drawer(practice_a: Practice) -> None:
    dana = staff(practice_a, Role.FRONT_DESK, full_name="Dana Desk")
    omar = staff(practice_a, Role.FRONT_DESK, full_name="Omar Ortiz")
    with tenant_context(practice_a):
        clinic = make_clinic(practice_a, patient={})
        patient, place = clinic.patient, clinic.location
        desk.take_payment(patient, 2_000, method="cash", by=dana, location=place)
        desk.take_payment(patient, 1_500, method="cash", by=dana, location=place)
        desk.take_payment(patient, 3_000, method="check", check_number="7", by=omar, location=place)
        card = Payment.objects.create(patient=patient, purpose="balance", amount_cents=4_000)
        ledger.post_entry(patient, "payment", 4_000, location=place, payment=card, source_key="pi:1")
        ledger.post_entry(patient, "refund", 500, location=place, payment=card, source_key="re:1")
        zone = ZoneInfo(place.time_zone)
        (row,) = daily_close(timezone.localdate(timezone=zone), zone)
        assert {m["method"]: (m["count"], m["cents"]) for m in row["methods"]} == {
            "Cash": (2, 3_500),
            "Check": (1, 3_000),
            "Card": (1, 4_000),  # posted before methods were recorded: known by its Stripe payment
            "Other": (0, 0),
        }
        assert (row["payments_cents"], row["refunds_cents"], row["net_cents"], row["count"]) == (
            10_500,
            500,
            10_000,
            4,
        )
        assert row["staff"] == [
            {"name": "Dana Desk", "cash_cents": 3_500, "check_cents": 0, "count": 2},
            {"name": "Omar Ortiz", "cash_cents": 0, "check_cents": 3_000, "count": 1},
        ]
        tomorrow = timezone.localdate(timezone=zone) + datetime.timedelta(days=1)
        assert daily_close(tomorrow, zone) == []
    page = signed_in_client(dana, practice_a).get("/billing/reports/daily/")
    assert page.status_code == 200
    assert b"Dana Desk" in page.content and b"$35.00" in page.content and b"Check" in page.content


def test_no_card_offers_without_a_connect_account(practice_a: Practice) -> None:
    clinic, _appointment = _visit(practice_a)
    owner = signed_in_client(staff(practice_a), practice_a)
    ledger_page = owner.get(f"/billing/patients/{clinic.patient.pk}/")
    assert b"Create link" not in ledger_page.content and b"Save a card" not in ledger_page.content
    assert b"Set up card payments" in ledger_page.content
    refused = owner.post(f"/billing/patients/{clinic.patient.pk}/pay-link/", {"amount": "1.00"})
    assert refused.status_code == 400 and b"does not take card payments" in refused.content
