"""A small practice for back-office tests: a location in New York with a provider working
weekdays 09:00-17:00, a room, a 30-minute visit type and a patient."""

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from practica.accounts.roles import Role
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic, make_clinic

NY = ZoneInfo("America/New_York")


def backoffice_clinic(practice: Practice) -> Clinic:
    return make_clinic(
        practice,
        provider={"display_name": "Dr Ada Lane"},
        room=True,
        visit={"name": "Check-up", "colour": "#336699"},
        patient={"first_name": "Grace", "last_name": "Hopper"},
    )


@pytest.fixture
def clinic(practice_a: Practice, in_practice: Any) -> Iterator[Clinic]:
    with in_practice(practice_a):
        yield backoffice_clinic(practice_a)


@pytest.fixture
def as_role(clinic: Clinic) -> Any:
    def client(role: str = Role.FRONT_DESK) -> Client:
        return signed_in_client(staff(clinic.practice, role), clinic.practice)

    return client
