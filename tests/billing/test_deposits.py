import datetime
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications.models import Kind, Notification
from practica.accounts.roles import Role
from practica.patient_billing.deposits import hold_for_deposit, release_expired_holds
from practica.patient_billing.models import DepositHold, LedgerEntry
from practica.patient_billing.selectors import balance_cents
from practica.patient_billing.tasks import release_practice_deposit_holds
from practica.scheduling.booking import reschedule_appointment
from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import Appointment
from practica.scheduling.slots import open_slots
from tenants.models import Practice
from tests.billing.conftest import event, send
from tests.billing.fake_stripe import FakeStripe, complete_payment_checkout
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic, PatientFactory, make_clinic
from tests.portal.conftest import make_account, portal_client

pytestmark = pytest.mark.django_db


def _booked(practice: Practice, deposit_cents: int) -> Appointment:
    """A staff booking (not held) of a type with this deposit, to hold by hand."""
    clinic = make_clinic(
        practice, visit={"name": "Allergy testing", "deposit_cents": deposit_cents}, patient={}
    )
    return clinic.book(clinic.next_weekday_at(10, days=2))


def test_deposit_holds_the_booking_until_paid(fake_stripe: FakeStripe, connected: Practice) -> None:
    with tenant_context(connected):
        appointment = _booked(connected, 5_000)
        url = hold_for_deposit(connected, appointment, success_url="https://x/ok", cancel_url="https://x/no")
        assert url is not None
        checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
        assert checkout.params["line_items[0][price_data][unit_amount]"] == "5000"
        assert checkout.stripe_account == connected.stripe_account_id
        assert "Allergy" not in " ".join(checkout.params.values())
        assert (
            hold_for_deposit(
                connected, _booked(connected, 0), success_url="https://x/", cancel_url="https://x/"
            )
            is None
        )
    intent = complete_payment_checkout(fake_stripe, url.rsplit("/", 1)[1])
    send(event("payment_intent.succeeded", intent, account=connected.stripe_account_id), connect=True)
    with tenant_context(connected):
        assert DepositHold.objects.get(appointment=appointment).state == DepositHold.State.PAID
        assert balance_cents(appointment.patient) == -5_000  # a credit toward the visit
        assert release_expired_holds(connected, now=timezone.now() + datetime.timedelta(hours=1)) == 0
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.BOOKED


def test_unpaid_deposit_releases_the_slot_and_closes_the_payment_page(
    fake_stripe: FakeStripe,
    connected: Practice,
) -> None:
    with tenant_context(connected):
        appointment = _booked(connected, 2_500)
        url = hold_for_deposit(connected, appointment, success_url="https://x/", cancel_url="https://x/")
        assert url is not None
        assert release_expired_holds(connected) == 0  # not yet expired
        assert release_expired_holds(connected, now=timezone.now() + datetime.timedelta(minutes=16)) == 1
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CANCELLED_BY_PRACTICE
        assert DepositHold.objects.get(appointment=appointment).state == DepositHold.State.RELEASED
        assert not LedgerEntry.objects.filter(patient=appointment.patient).exists()
    session_id = url.rsplit("/", 1)[1]
    assert fake_stripe.last("POST", f"/v1/checkout/sessions/{session_id}/expire").stripe_account == (
        connected.stripe_account_id
    )
    with pytest.raises(ValueError, match="expired"):
        complete_payment_checkout(fake_stripe, session_id)


# --- booking in the portal ------------------------------------------------------------------------


def _deposit_clinic(practice: Practice) -> Clinic:
    return make_clinic(
        practice,
        zone="America/Chicago",
        hours=(8, 18),
        weekdays=range(7),
        visit={"name": "Allergy testing", "deposit_cents": 5_000},
    )


def _confirm_url(clinic: Clinic, start: datetime.datetime) -> str:
    query = {
        "type": clinic.visit.pk,
        "location": clinic.location.pk,
        "provider": clinic.provider.pk,
        "start": start.isoformat(),
    }
    return f"/portal/book/confirm/?{urlencode(query)}"


def _is_open(clinic: Clinic, start: datetime.datetime, now: datetime.datetime | None = None) -> bool:
    slots = open_slots(
        clinic.visit,
        start,
        start + datetime.timedelta(minutes=30),
        provider=clinic.provider,
        location=clinic.location,
        now=now,
    )
    return start in [slot.start for slot in slots]


def _book_in_portal(clinic: Clinic, practice: Practice) -> tuple[Client, Appointment, str]:
    """A patient books the deposit type in the portal and is sent to Stripe's payment page."""
    with tenant_context(practice):
        account = make_account("deposit@example.org")
    client = portal_client(account, practice)
    url = _confirm_url(clinic, clinic.local(3, 10))
    page = client.get(url).content.decode()
    assert "deposit of $50.00" in page and "Pay the deposit and book" in page
    response = client.post(url)
    assert response.status_code == 302
    checkout = response["Location"]
    with tenant_context(practice):
        appointment = Appointment.objects.get(patient=account.patient)
    assert checkout.endswith(fake_session_id(checkout)) and "/pay/" in checkout
    return client, appointment, fake_session_id(checkout)


def fake_session_id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_portal_booking_with_a_deposit_holds_the_slot_and_is_confirmed_once_paid(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    with tenant_context(connected):
        clinic = _deposit_clinic(connected)
    client, appointment, session_id = _book_in_portal(clinic, connected)
    checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
    assert checkout.stripe_account == connected.stripe_account_id
    assert checkout.params["line_items[0][price_data][unit_amount]"] == "5000"
    assert checkout.params["success_url"].endswith(f"/portal/appointments/{appointment.pk}/")
    with tenant_context(connected):
        held = Appointment.objects.get(pk=appointment.pk)
        assert held.awaiting_deposit and held.status == Appointment.Status.BOOKED
        assert DepositHold.objects.get(appointment=held).state == DepositHold.State.HELD
        assert not Notification.objects.filter(appointment=held).exists()  # not confirmed yet
        assert not _is_open(clinic, held.start)  # nobody else can take it meanwhile
    page = client.get(f"/portal/appointments/{appointment.pk}/").content.decode()
    assert "Waiting for your deposit" in page and "held for you until" in page
    desk = signed_in_client(staff(connected, Role.FRONT_DESK), connected)
    assert (
        "held online until the patient pays"
        in desk.get(f"/schedule/appointments/{appointment.pk}/").content.decode()
    )
    # Back from Stripe's page without paying: the same page can be opened again.
    again = client.post(f"/portal/appointments/{appointment.pk}/deposit/")
    assert again.status_code == 302 and fake_session_id(again["Location"]) == session_id

    intent = complete_payment_checkout(fake_stripe, session_id)
    send(event("payment_intent.succeeded", intent, account=connected.stripe_account_id), connect=True)
    with tenant_context(connected):
        paid = Appointment.objects.get(pk=appointment.pk)
        assert not paid.awaiting_deposit and paid.status == Appointment.Status.BOOKED
        assert DepositHold.objects.get(appointment=paid).state == DepositHold.State.PAID
        confirmations = Notification.objects.filter(appointment=paid, kind=Kind.CONFIRMATION)
        # One confirmation, by email: the patient has no mobile number (the SMS row says so).
        assert confirmations.exclude(state=Notification.State.SKIPPED).count() == 1
        assert balance_cents(paid.patient) == -5_000
    assert (
        "Waiting for your deposit"
        not in client.get(f"/portal/appointments/{appointment.pk}/").content.decode()
    )


def test_an_unpaid_deposit_frees_the_slot_and_the_patient_is_sent_nothing(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    with tenant_context(connected):
        clinic = _deposit_clinic(connected)
    client, appointment, _ = _book_in_portal(clinic, connected)
    later = timezone.now() + datetime.timedelta(minutes=16)
    with tenant_context(connected):
        assert release_practice_deposit_holds(connected.pk) == 0  # queued for the hold's end: not yet
        assert release_expired_holds(connected, now=later) == 1
        released = Appointment.objects.get(pk=appointment.pk)
        assert released.status == Appointment.Status.CANCELLED_BY_PRACTICE
        assert not Notification.objects.filter(appointment=released).exists()
        assert _is_open(clinic, released.start, now=later)
    gone = client.post(f"/portal/appointments/{appointment.pk}/deposit/", follow=True)
    assert "can no longer be paid online" in gone.content.decode()


def test_a_held_booking_cannot_be_moved_until_paid(fake_stripe: FakeStripe, connected: Practice) -> None:
    with tenant_context(connected):
        clinic = _deposit_clinic(connected)
    _, appointment, _ = _book_in_portal(clinic, connected)
    with tenant_context(connected), pytest.raises(SchedulingError) as refused:
        reschedule_appointment(appointment, start=clinic.local(3, 11), source=Appointment.Source.PORTAL)
    assert refused.value.code == "awaiting_deposit"


def test_staff_bookings_waive_the_deposit(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        clinic = _deposit_clinic(practice_a)
        clinic.book(clinic.local(3, 10), patient=PatientFactory.create(email="desk@example.org"))
        booked = Appointment.objects.get()
        assert not booked.awaiting_deposit and not DepositHold.objects.exists()
        assert Notification.objects.filter(appointment=booked, kind=Kind.CONFIRMATION).exists()


def test_a_practice_without_card_payments_cannot_take_deposit_bookings_online(
    fake_stripe: FakeStripe, practice_a: Practice
) -> None:
    with tenant_context(practice_a):
        clinic = _deposit_clinic(practice_a)
        account = make_account("early@example.org")
    response = portal_client(account, practice_a).post(_confirm_url(clinic, clinic.local(3, 10)))
    assert response.status_code == 400
    assert "needs a deposit, which the practice cannot take online yet" in response.content.decode()
    with tenant_context(practice_a):
        assert not Appointment.objects.exists() and not DepositHold.objects.exists()
