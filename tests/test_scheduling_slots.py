import datetime
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from practica.scheduling.booking import book_appointment, cancel_appointment
from practica.scheduling.errors import SchedulingError, SlotUnavailable
from practica.scheduling.models import Appointment, Holiday, TimeOff, WeeklyHours
from practica.scheduling.slots import open_slots
from tenants.models import Practice
from tests.factories import Clinic, PatientFactory, ProviderFactory, make_clinic

NY = ZoneInfo("America/New_York")
UTC = datetime.UTC
# A Monday well ahead, so notice and days-ahead are easy to reason about.
NOW = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=NY)


@pytest.fixture
def clinic(practice_a: Practice, in_practice: Any) -> Iterator[Clinic]:
    """A New York location with one provider working weekdays 09:00-12:00 and a 30-minute visit."""
    with in_practice(practice_a):
        yield make_clinic(
            practice_a, hours=(9, 12), hours_from=datetime.date(2026, 1, 1), visit={"name": "Visit"}
        )


def starts(slots: list[Any]) -> list[datetime.datetime]:
    return [slot.start for slot in slots]


def test_slots_follow_working_hours_in_local_time(clinic: Clinic) -> None:
    _location, provider, visit = clinic.location, clinic.provider, clinic.visit
    slots = open_slots(visit, local(3, 0), local(4, 0), provider=provider, now=NOW)
    assert starts(slots)[0] == local(3, 9)
    assert starts(slots)[-1] == local(3, 11, 30)
    assert len(slots) == 11  # 09:00 to 11:30 every 15 minutes


def test_working_hours_stay_local_across_daylight_saving(clinic: Clinic) -> None:
    _location, provider, visit = clinic.location, clinic.provider, clinic.visit
    # DST starts in New York on Sunday 2026-03-08: 09:00 local is 14:00 UTC before, 13:00 UTC after.
    before = open_slots(visit, local(6, 0), local(7, 0), provider=provider, now=NOW)
    after = open_slots(visit, local(9, 0), local(10, 0), provider=provider, now=NOW)
    assert before[0].start.astimezone(UTC).hour == 14
    assert after[0].start.astimezone(UTC).hour == 13
    assert before[0].start.astimezone(NY).hour == after[0].start.astimezone(NY).hour == 9


def test_booked_time_with_buffers_breaks_time_off_and_holidays_are_not_offered(clinic: Clinic) -> None:
    location, provider, visit = clinic.location, clinic.provider, clinic.visit
    visit.buffer_after_minutes = 15
    visit.save()
    patient = PatientFactory.create()
    book_appointment(
        patient=patient,
        appointment_type=visit,
        provider=provider,
        location=location,
        start=local(3, 10),
        source=Appointment.Source.STAFF,
        now=NOW,
    )
    WeeklyHours.objects.create(
        provider=provider,
        location=location,
        kind=WeeklyHours.Kind.BREAK,
        weekday=1,
        start_time=datetime.time(11),
        end_time=datetime.time(11, 30),
        effective_from=datetime.date(2026, 1, 1),
    )
    TimeOff.objects.create(provider=provider, start=local(4, 9), end=local(4, 10))
    Holiday.objects.create(date=datetime.date(2026, 3, 5), name="Closed")

    tuesday = starts(open_slots(visit, local(3, 0), local(4, 0), provider=provider, now=NOW))
    # 10:00-10:30 booked, +15 min buffer after it: busy until 10:45. A slot before it must end, with its
    # own 15-minute buffer, by 10:00, so 09:15 is the last one; 10:45 would run into the 11:00 break.
    assert tuesday == [local(3, 9), local(3, 9, 15), local(3, 11, 30)]
    wednesday = starts(open_slots(visit, local(4, 0), local(5, 0), provider=provider, now=NOW))
    assert local(4, 9) not in wednesday and local(4, 10) in wednesday
    assert open_slots(visit, local(5, 0), local(6, 0), provider=provider, now=NOW) == []


def test_minimum_notice_and_days_ahead(clinic: Clinic) -> None:
    _location, provider, visit = clinic.location, clinic.provider, clinic.visit
    now = local(3, 9, 10)
    slots = starts(open_slots(visit, local(3, 0), local(4, 0), provider=provider, now=now))
    assert slots[0] == local(3, 10, 15)  # 60 minutes of notice, rounded up to the grid
    visit.max_days_ahead = 2
    assert open_slots(visit, local(10, 0), local(11, 0), provider=provider, now=now) == []


def test_any_provider_offers_each_time_once_from_the_least_booked(clinic: Clinic) -> None:
    location, busy_provider, visit = clinic.location, clinic.provider, clinic.visit
    other = ProviderFactory.create(display_name="Zed Other")
    other.locations.add(location)
    WeeklyHours.objects.create(
        provider=other,
        location=location,
        weekday=1,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
        effective_from=datetime.date(2026, 1, 1),
    )
    book_appointment(
        patient=PatientFactory.create(),
        appointment_type=visit,
        provider=busy_provider,
        location=location,
        start=local(3, 11),
        source=Appointment.Source.STAFF,
        now=NOW,
    )
    slots = open_slots(visit, local(3, 0), local(4, 0), location=location, now=NOW)
    assert len(starts(slots)) == len(set(starts(slots)))
    assert {slot.provider_id for slot in slots if slot.start == local(3, 9)} == {other.pk}
    assert {slot.provider_id for slot in slots if slot.start == local(3, 11)} == {other.pk}


def test_double_booking_is_refused_by_the_database(clinic: Clinic) -> None:
    location, provider, visit = clinic.location, clinic.provider, clinic.visit
    booking: dict[str, Any] = dict(
        appointment_type=visit, provider=provider, location=location, source="staff", now=NOW
    )
    book_appointment(patient=PatientFactory.create(), start=local(3, 9), **booking)
    with pytest.raises(SlotUnavailable, match="no longer available"):
        book_appointment(patient=PatientFactory.create(), start=local(3, 9, 15), **booking)
    assert Appointment.objects.filter(provider=provider).count() == 1


def test_patients_cannot_book_outside_rules_and_staff_override_with_warning(clinic: Clinic) -> None:
    location, provider, visit = clinic.location, clinic.provider, clinic.visit
    patient = PatientFactory.create()
    common: dict[str, Any] = dict(
        patient=patient, appointment_type=visit, provider=provider, location=location, now=NOW
    )
    with pytest.raises(SchedulingError, match="working hours"):
        book_appointment(start=local(3, 18), source="portal", **common)
    staff_booking = book_appointment(start=local(3, 18), source="staff", override=True, **common)
    assert staff_booking.warnings and "working hours" in staff_booking.warnings[0]
    assert staff_booking.appointment.outside_hours_override


def test_cancelling_frees_the_slot(clinic: Clinic) -> None:
    location, provider, visit = clinic.location, clinic.provider, clinic.visit
    appointment = book_appointment(
        patient=PatientFactory.create(),
        appointment_type=visit,
        provider=provider,
        location=location,
        start=local(10, 9),
        source="staff",
        now=NOW,
    ).appointment
    assert local(10, 9) not in starts(
        open_slots(visit, local(10, 0), local(11, 0), provider=provider, now=NOW)
    )
    cancel_appointment(appointment, by_patient=False, reason="Provider ill", now=NOW)
    assert local(10, 9) in starts(open_slots(visit, local(10, 0), local(11, 0), provider=provider, now=NOW))
