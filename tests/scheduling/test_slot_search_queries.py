"""Slot search reads a fixed number of queries, however many days or providers it covers."""

from typing import Any

import pytest

from practica.scheduling.models import Appointment
from practica.scheduling.policies import current_policy
from practica.scheduling.slots import open_slots
from tests.factories import Clinic, ProviderFactory
from tests.scheduling.conftest import NOW, local
from tests.scheduling.factories import AppointmentTypeFactory, RoomFactory, weekly_hours
from tests.scheduling.test_slots import book

# policy, providers (2), weekly hours, extra hours, locations, holidays, time off, appointments,
# and for a type that needs a room: rooms and their appointments. django-tenants sends a
# `SET search_path` before each query, and the counter sees those too.
SEARCH_QUERIES = 2 * 9
ROOM_SEARCH_QUERIES = SEARCH_QUERIES + 2 * 2


@pytest.fixture(autouse=True)
def _policy_exists(clinic: Clinic) -> None:
    current_policy()  # the practice's policy row is created once, on first use


def test_one_provider_one_day_and_many_providers_a_month_cost_the_same(
    clinic: Clinic, django_assert_max_num_queries: Any
) -> None:
    book(clinic, local(3, 3, 10))
    with django_assert_max_num_queries(SEARCH_QUERIES):
        assert open_slots(clinic.visit, local(3, 3), local(3, 4), provider=clinic.provider, now=NOW)

    for _ in range(8):
        colleague = ProviderFactory.create()
        colleague.locations.add(clinic.location)
        weekly_hours(colleague, clinic.location)
        book(clinic, local(3, 4, 9), provider=colleague)
    with django_assert_max_num_queries(SEARCH_QUERIES):
        month = open_slots(clinic.visit, local(3, 3), local(4, 2), location=clinic.location, now=NOW)
    assert len({slot.provider_id for slot in month}) > 1


def test_room_search_cost_does_not_grow_with_rooms_or_days(
    clinic: Clinic, django_assert_max_num_queries: Any
) -> None:
    procedure = AppointmentTypeFactory.create(needs_room=True)
    for _ in range(5):
        RoomFactory.create(location=clinic.location)
    book(clinic, local(3, 3, 10), appointment_type=procedure)
    with django_assert_max_num_queries(ROOM_SEARCH_QUERIES):
        slots = open_slots(procedure, local(3, 3), local(4, 2), location=clinic.location, now=NOW)
    assert slots and Appointment.objects.count() >= 1
