"""Booking rules: who may book what, staff overrides with warnings, rooms, and who booked from where."""

import datetime
from typing import Any

import pytest
from django.db import OperationalError
from psycopg.errors import DeadlockDetected

from practica.scheduling.booking import book_appointment
from practica.scheduling.errors import SchedulingError, SlotUnavailable
from practica.scheduling.models import Appointment
from tests.factories import Clinic, LocationFactory, PatientFactory, ProviderFactory
from tests.scheduling.conftest import NOW, local
from tests.scheduling.factories import AppointmentTypeFactory, RoomFactory


def attempt(clinic: Clinic, start: datetime.datetime, source: str, **kwargs: Any) -> Any:
    kwargs.setdefault("patient", PatientFactory.create())
    kwargs.setdefault("appointment_type", clinic.visit)
    kwargs.setdefault("provider", clinic.provider)
    kwargs.setdefault("location", clinic.location)
    kwargs.setdefault("now", NOW)
    return book_appointment(start=start, source=source, **kwargs)


def test_booking_records_who_booked_and_from_where(clinic: Clinic) -> None:
    staff_booking = attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF, booked_by_id=42)
    portal_booking = attempt(clinic, local(3, 3, 10), Appointment.Source.PORTAL)
    api_booking = attempt(clinic, local(3, 3, 11), Appointment.Source.API, booked_by_id=7)
    stored = {a.source: a for a in Appointment.objects.filter(provider=clinic.provider)}
    assert stored["staff"].booked_by_id == 42 and stored["staff"].pk == staff_booking.appointment.pk
    assert stored["portal"].booked_by_id is None and stored["portal"].pk == portal_booking.appointment.pk
    assert stored["api"].booked_by_id == 7 and stored["api"].pk == api_booking.appointment.pk
    assert stored["staff"].status == Appointment.Status.BOOKED
    assert stored["staff"].end - stored["staff"].start == datetime.timedelta(minutes=30)


def test_unknown_source_is_refused(clinic: Clinic) -> None:
    with pytest.raises(SchedulingError, match="Unknown booking source"):
        attempt(clinic, local(3, 3, 9), "fax")


@pytest.mark.parametrize(
    ("start", "warning"),
    [
        (local(3, 2, 7, 30), "minimum notice"),  # NOW is 07:00 in New York, notice is 60 minutes
        (local(3, 3, 18), "working hours"),
        (local(6, 2, 9), "days ahead"),
    ],
)
def test_staff_override_rules_with_a_visible_warning_patients_cannot(
    clinic: Clinic, start: datetime.datetime, warning: str
) -> None:
    with pytest.raises(SchedulingError, match=warning) as refused:
        attempt(clinic, start, Appointment.Source.PORTAL, override=True)
    assert refused.value.code == "outside_rules"
    with pytest.raises(SchedulingError, match=warning):
        attempt(clinic, start, Appointment.Source.STAFF)  # staff too, unless they choose to override

    booking = attempt(clinic, start, Appointment.Source.STAFF, override=True)
    assert any(warning in text for text in booking.warnings)
    assert booking.appointment.outside_hours_override
    assert attempt(
        clinic, start + datetime.timedelta(hours=1), Appointment.Source.API, override=True
    ).warnings


def test_a_booking_inside_the_rules_has_no_warnings(clinic: Clinic) -> None:
    booking = attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF, override=True)
    assert booking.warnings == []
    assert not booking.appointment.outside_hours_override


def test_nobody_books_in_the_past_or_with_a_naive_time(clinic: Clinic) -> None:
    with pytest.raises(SchedulingError, match="in the past"):
        attempt(clinic, local(3, 2, 6), Appointment.Source.STAFF, override=True)
    with pytest.raises(SchedulingError) as naive:
        attempt(clinic, datetime.datetime(2026, 3, 3, 9), Appointment.Source.STAFF)
    assert naive.value.code == "invalid_time_zone"


def test_provider_must_work_at_the_location_and_offer_the_type(clinic: Clinic) -> None:
    elsewhere = LocationFactory.create()
    with pytest.raises(SchedulingError, match="does not work at"):
        attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF, location=elsewhere)
    clinic.visit.providers.add(ProviderFactory.create())
    with pytest.raises(SchedulingError, match="does not offer"):
        attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF)


def test_portal_respects_online_and_new_patient_rules(clinic: Clinic) -> None:
    follow_up = AppointmentTypeFactory.create(new_patients_allowed=False)
    with pytest.raises(SchedulingError, match="existing patients only"):
        attempt(clinic, local(3, 3, 9), Appointment.Source.PORTAL, appointment_type=follow_up)
    assert attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF, appointment_type=follow_up)
    staff_only = AppointmentTypeFactory.create(bookable_online=False)
    with pytest.raises(SchedulingError, match="cannot be booked online"):
        attempt(clinic, local(3, 3, 10), Appointment.Source.PORTAL, appointment_type=staff_only)


def test_overlapping_times_are_refused_including_buffers(clinic: Clinic) -> None:
    clinic.visit.buffer_after_minutes = 10
    clinic.visit.save()
    attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF)
    with pytest.raises(SlotUnavailable, match="no longer available"):
        attempt(clinic, local(3, 3, 9, 30), Appointment.Source.STAFF)  # inside the 10-minute buffer
    assert attempt(clinic, local(3, 3, 9, 45), Appointment.Source.STAFF)


def test_room_types_get_a_free_room_and_refuse_when_none_is_left(clinic: Clinic) -> None:
    procedure = AppointmentTypeFactory.create(needs_room=True)
    first, second = RoomFactory.create(location=clinic.location), RoomFactory.create(location=clinic.location)
    colleague = ProviderFactory.create()
    colleague.locations.add(clinic.location)
    one = attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF, appointment_type=procedure)
    two = attempt(
        clinic,
        local(3, 3, 9),
        Appointment.Source.STAFF,
        appointment_type=procedure,
        provider=colleague,
        override=True,
    )
    assert {one.appointment.room_id, two.appointment.room_id} == {first.pk, second.pk}
    third = ProviderFactory.create()
    third.locations.add(clinic.location)
    with pytest.raises(SlotUnavailable, match="no room is free"):
        attempt(
            clinic,
            local(3, 3, 9),
            Appointment.Source.STAFF,
            appointment_type=procedure,
            provider=third,
            override=True,
        )


def test_a_room_at_another_location_is_refused(clinic: Clinic) -> None:
    far_room = RoomFactory.create(location=LocationFactory.create())
    with pytest.raises(SchedulingError, match="another location"):
        attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF, room=far_room)


def test_a_booking_aborted_as_a_deadlock_is_tried_again(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two concurrent inserts can each wait on the other's exclusion check; PostgreSQL aborts one.
    # (test_concurrent_booking races real connections; here the abort is made to happen once.)
    real_save = Appointment.save
    aborted: list[int] = []

    def save_aborted_once(self: Appointment, *args: Any, **kwargs: Any) -> None:
        if not aborted:
            aborted.append(1)
            real_save(self, *args, **kwargs)  # the insert happens, then the transaction is lost
            raise OperationalError("deadlock detected") from DeadlockDetected("deadlock detected")
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(Appointment, "save", save_aborted_once)
    booking = attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF)
    assert aborted == [1]
    assert list(Appointment.objects.filter(provider=clinic.provider).values_list("pk", flat=True)) == [
        booking.appointment.pk
    ]


def test_an_error_other_than_a_deadlock_is_not_retried(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def save_fails(self: Appointment, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(Appointment, "save", save_fails)
    with pytest.raises(OperationalError):
        attempt(clinic, local(3, 3, 9), Appointment.Source.STAFF)
    assert calls == [1]
    assert not Appointment.objects.filter(provider=clinic.provider).exists()
