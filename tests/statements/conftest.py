"""Statement tests: patients of practice A owing money, their ledgers posted at given times."""

import datetime
from collections.abc import Iterator

import pytest
from django_tenants.utils import tenant_context

from practica.patient_billing.models import LedgerEntry
from practica.patients.models import Patient, PatientProfile
from tenants.models import Practice

# The fake Stripe and a practice connected to it, for payment plans.
from tests.billing.conftest import connected, fake_stripe  # noqa: F401
from tests.factories import PatientFactory

# bin/test's clock: Saturday 2026-10-31 22:30 in New York. Tests pass their own `now`.
NOW = datetime.datetime(2026, 11, 3, 15, 0, tzinfo=datetime.UTC)  # Tuesday 10:00 in New York


@pytest.fixture
def in_a(practice_a: Practice) -> Iterator[Practice]:
    with tenant_context(practice_a):
        yield practice_a


def owing(
    cents: list[tuple[int, int]] | int,
    *,
    now: datetime.datetime = NOW,
    email: str = "",
    address: bool = True,
    **fields: str,
) -> Patient:
    """A patient with ledger entries [(days before `now`, signed cents)], or one charge today."""
    patient = PatientFactory.create(email=email, **fields)
    if address:
        PatientProfile.objects.update_or_create(
            patient=patient,
            defaults={
                "address_line1": "12 Elm Street",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62701",
            },
        )
    entries = [(0, cents)] if isinstance(cents, int) else cents
    for days, amount in entries:
        kind = LedgerEntry.Kind.CHARGE if amount > 0 else LedgerEntry.Kind.PAYMENT
        LedgerEntry.objects.create(
            patient=patient, kind=kind, amount_cents=amount, posted_at=now - datetime.timedelta(days=days)
        )
    return patient
