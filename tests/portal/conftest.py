"""A bookable clinic and portal patients in practice A, and clients signed in as them."""

import time
from collections.abc import Iterator

import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from portal.models import PortalAccount
from portal.sessions import ACCOUNT_KEY, PASSWORD_KEY, SCHEMA_KEY, SEEN_KEY, password_stamp
from tenants.models import Practice
from tests.conftest import host_of
from tests.factories import Clinic, PatientFactory, make_clinic

PATIENT_PASSWORD = "a long portal passphrase 42"
_PATIENT_HASH = make_password(PATIENT_PASSWORD)  # argon2 is slow on purpose: hash once
ZONE = "America/Chicago"


def make_account(email: str, verified: bool = True, **patient_fields: object) -> PortalAccount:
    patient = PatientFactory.create(email=email, **patient_fields)
    return PortalAccount.objects.create(
        patient=patient,
        email=email,
        password=_PATIENT_HASH,
        email_verified_at=timezone.now() if verified else None,
    )


def portal_client(account: PortalAccount, practice: Practice) -> Client:
    """A client on the practice's host with a patient session for `account`."""
    client = Client(HTTP_HOST=host_of(practice))
    session = client.session
    session[ACCOUNT_KEY] = str(account.pk)
    session[SCHEMA_KEY] = practice.schema_name
    session[SEEN_KEY] = int(time.time())
    session[PASSWORD_KEY] = password_stamp(account)
    session.save()
    return client


@pytest.fixture
def clinic(practice_a: Practice) -> Iterator[Clinic]:
    """A Chicago location whose provider works every day 08:00-18:00, a type patients book online
    and one they cannot."""
    with tenant_context(practice_a):
        yield make_clinic(
            practice_a,
            zone=ZONE,
            location={"address_line1": "1 Main St"},
            provider={"display_name": "Dr Ada Lane"},
            hours=(8, 18),
            weekdays=range(7),
            visit={"name": "Dermatology follow-up"},
            staff_only=True,
        )


@pytest.fixture(autouse=True)
def _forget_login_failures() -> None:
    # Failure counters live in Redis, which outlives each test's rolled-back transaction.
    cache.clear()
