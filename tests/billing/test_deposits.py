import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.patient_billing.deposits import hold_for_deposit, release_expired_holds
from practica.patient_billing.models import DepositHold, LedgerEntry
from practica.patient_billing.selectors import balance_cents
from practica.scheduling.models import Appointment, AppointmentType
from tenants.models import Practice
from tests.billing.conftest import event, send
from tests.billing.fake_stripe import FakeStripe, complete_payment_checkout
from tests.factories import LocationFactory, PatientFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _booked(deposit_cents: int) -> Appointment:
    kind = AppointmentType.objects.create(
        name="Allergy testing", duration_minutes=30, deposit_cents=deposit_cents
    )
    start = timezone.now() + datetime.timedelta(days=2)
    end = start + datetime.timedelta(minutes=30)
    return Appointment.objects.create(
        patient=PatientFactory.create(),
        provider=ProviderFactory.create(),
        location=LocationFactory.create(),
        appointment_type=kind,
        start=start,
        end=end,
        occupancy=(start, end),
    )


def test_deposit_holds_the_booking_until_paid(fake_stripe: FakeStripe, connected: Practice) -> None:
    with tenant_context(connected):
        appointment = _booked(5_000)
        url = hold_for_deposit(connected, appointment, success_url="https://x/ok", cancel_url="https://x/no")
        assert url is not None
        checkout = fake_stripe.last("POST", "/v1/checkout/sessions")
        assert checkout.params["line_items[0][price_data][unit_amount]"] == "5000"
        assert checkout.stripe_account == connected.stripe_account_id
        assert "Allergy" not in " ".join(checkout.params.values())
        assert (
            hold_for_deposit(connected, _booked(0), success_url="https://x/", cancel_url="https://x/") is None
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
        appointment = _booked(2_500)
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
