"""Slot search: each rule that decides which start times are offered."""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from practica.scheduling.booking import book_appointment
from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import Appointment, ExtraHours, Holiday, TimeOff, WeeklyHours
from practica.scheduling.slots import Slot, open_slots
from tests.factories import Clinic, LocationFactory, PatientFactory, ProviderFactory
from tests.scheduling.conftest import NOW, NY, UTC, local
from tests.scheduling.factories import AppointmentTypeFactory, RoomFactory, weekly_hours

LA = ZoneInfo("America/Los_Angeles")


def starts(slots: list[Slot]) -> list[datetime.datetime]:
    return [slot.start for slot in slots]


def day_slots(clinic: Clinic, month: int, day: int, **kwargs: Any) -> list[datetime.datetime]:
    kwargs.setdefault("provider", clinic.provider)
    kwargs.setdefault("now", NOW)
    return starts(open_slots(clinic.visit, local(month, day), local(month, day + 1), **kwargs))


def book(clinic: Clinic, start: datetime.datetime, **kwargs: Any) -> Appointment:
    kwargs.setdefault("provider", clinic.provider)
    kwargs.setdefault("appointment_type", clinic.visit)
    return book_appointment(
        patient=PatientFactory.create(),
        location=clinic.location,
        start=start,
        source=Appointment.Source.STAFF,
        now=NOW,
        **kwargs,
    ).appointment


def test_weekly_hours_give_slots_on_the_policy_grid_in_local_time(clinic: Clinic) -> None:
    slots = day_slots(clinic, 3, 3)
    assert slots[0] == local(3, 3, 9) and slots[-1] == local(3, 3, 11, 30)
    assert len(slots) == 11  # 09:00 to 11:30 every 15 minutes (the default policy step)
    assert day_slots(clinic, 3, 7) == []  # Saturday: no hours


def test_slot_step_follows_the_argument_and_stays_on_the_block_grid(clinic: Clinic) -> None:
    assert day_slots(clinic, 3, 3, step_minutes=60) == [local(3, 3, 9), local(3, 3, 10), local(3, 3, 11)]


def test_effective_date_ranges_switch_the_weekly_pattern(clinic: Clinic) -> None:
    WeeklyHours.objects.filter(provider=clinic.provider).update(effective_until=datetime.date(2026, 3, 6))
    weekly_hours(
        clinic.provider,
        clinic.location,
        datetime.time(14),
        datetime.time(15),
        effective_from=datetime.date(2026, 3, 9),
    )
    assert day_slots(clinic, 3, 6)[0] == local(3, 6, 9)
    assert day_slots(clinic, 3, 9) == [local(3, 9, 14), local(3, 9, 14, 15), local(3, 9, 14, 30)]


def test_breaks_are_not_offered(clinic: Clinic) -> None:
    weekly_hours(
        clinic.provider,
        clinic.location,
        datetime.time(10),
        datetime.time(10, 30),
        weekdays=[1],
        kind=WeeklyHours.Kind.BREAK,
    )
    tuesday = day_slots(clinic, 3, 3)
    assert local(3, 3, 9, 30) in tuesday
    assert not {local(3, 3, 9, 45), local(3, 3, 10), local(3, 3, 10, 15)} & set(tuesday)
    assert local(3, 3, 10, 30) in tuesday


def test_time_off_removes_the_hours_it_covers(clinic: Clinic) -> None:
    TimeOff.objects.create(provider=clinic.provider, start=local(3, 4, 9), end=local(3, 4, 11))
    assert day_slots(clinic, 3, 4) == [local(3, 4, 11), local(3, 4, 11, 15), local(3, 4, 11, 30)]


def test_extra_hours_add_one_off_time(clinic: Clinic) -> None:
    ExtraHours.objects.create(
        provider=clinic.provider, location=clinic.location, start=local(3, 7, 10), end=local(3, 7, 11)
    )
    assert day_slots(clinic, 3, 7) == [local(3, 7, 10), local(3, 7, 10, 15), local(3, 7, 10, 30)]


def test_practice_holidays_close_the_day(clinic: Clinic) -> None:
    Holiday.objects.create(date=datetime.date(2026, 3, 5), name="Staff training")
    assert day_slots(clinic, 3, 5) == []
    assert day_slots(clinic, 3, 6) != []


def test_existing_appointments_and_both_buffers_block_time(clinic: Clinic) -> None:
    clinic.visit.buffer_before_minutes = 15
    clinic.visit.buffer_after_minutes = 15
    clinic.visit.save()
    book(clinic, local(3, 3, 10))  # occupies 09:45-10:45
    # Another visit needs 15 minutes either side too: it must end by 09:30 or start at 11:00.
    assert day_slots(clinic, 3, 3) == [
        local(3, 3, 9),
        local(3, 3, 11),
        local(3, 3, 11, 15),
        local(3, 3, 11, 30),
    ]


def test_cancelled_appointments_do_not_block_time(clinic: Clinic) -> None:
    appointment = book(clinic, local(3, 3, 10))
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED_BY_PRACTICE)
    assert local(3, 3, 10) in day_slots(clinic, 3, 3)


def test_minimum_notice_and_maximum_days_ahead(clinic: Clinic) -> None:
    now = local(3, 3, 9, 10)
    assert day_slots(clinic, 3, 3, now=now)[0] == local(3, 3, 10, 15)  # 60 min notice, on the grid
    clinic.visit.max_days_ahead = 2
    assert day_slots(clinic, 3, 5, now=now) != []
    assert day_slots(clinic, 3, 6, now=now) == []


def test_rooms_must_be_free_when_the_type_needs_one(clinic: Clinic) -> None:
    procedure = AppointmentTypeFactory.create(needs_room=True)
    room = RoomFactory.create(location=clinic.location)
    colleague = ProviderFactory.create()
    colleague.locations.add(clinic.location)
    weekly_hours(colleague, clinic.location)
    book(clinic, local(3, 3, 10), provider=colleague, appointment_type=procedure)

    slots = open_slots(procedure, local(3, 3), local(3, 4), provider=clinic.provider, now=NOW)
    assert local(3, 3, 10) not in starts(slots) and local(3, 3, 9) in starts(slots)
    assert {slot.room_id for slot in slots} == {room.pk}

    second = RoomFactory.create(location=clinic.location)
    slots = open_slots(procedure, local(3, 3), local(3, 4), provider=clinic.provider, now=NOW)
    assert [slot.room_id for slot in slots if slot.start == local(3, 3, 10)] == [second.pk]


def test_no_rooms_at_the_location_means_no_slots_for_a_room_type(clinic: Clinic) -> None:
    procedure = AppointmentTypeFactory.create(needs_room=True)
    assert open_slots(procedure, local(3, 3), local(3, 4), provider=clinic.provider, now=NOW) == []


def test_any_provider_offers_each_time_once_from_the_least_booked(clinic: Clinic) -> None:
    other = ProviderFactory.create(display_name="Dr Zed Zulu")
    other.locations.add(clinic.location)
    weekly_hours(other, clinic.location)
    book(clinic, local(3, 3, 11))  # Dr Able (first by name) now has one booking, Dr Zulu none

    slots = open_slots(clinic.visit, local(3, 3), local(3, 4), location=clinic.location, now=NOW)
    assert len(starts(slots)) == len(set(starts(slots))) == 11
    assert {slot.provider_id for slot in slots} == {other.pk}

    book(clinic, local(3, 3, 9), provider=other)
    book(clinic, local(3, 3, 9, 30), provider=other)  # now Dr Zulu is the busier one
    slots = open_slots(clinic.visit, local(3, 3), local(3, 4), location=clinic.location, now=NOW)
    by_start = {slot.start: slot.provider_id for slot in slots}
    assert by_start[local(3, 3, 10)] == clinic.provider.pk
    assert by_start[local(3, 3, 9)] == clinic.provider.pk  # only Dr Able is free then
    assert by_start[local(3, 3, 11, 15)] == other.pk  # Dr Able is busy 11:00-11:30


def test_any_provider_only_includes_providers_who_offer_the_type(clinic: Clinic) -> None:
    specialist = ProviderFactory.create()
    specialist.locations.add(clinic.location)
    weekly_hours(specialist, clinic.location)
    clinic.visit.providers.add(specialist)
    slots = open_slots(clinic.visit, local(3, 3), local(3, 4), location=clinic.location, now=NOW)
    assert {slot.provider_id for slot in slots} == {specialist.pk}
    with pytest.raises(SchedulingError, match="does not offer"):
        open_slots(clinic.visit, local(3, 3), local(3, 4), provider=clinic.provider, now=NOW)


def test_patients_cannot_search_types_not_bookable_online(clinic: Clinic) -> None:
    clinic.visit.bookable_online = False
    with pytest.raises(SchedulingError, match="cannot be booked online"):
        open_slots(
            clinic.visit, local(3, 3), local(3, 4), provider=clinic.provider, now=NOW, for_patient=True
        )
    assert open_slots(clinic.visit, local(3, 3), local(3, 4), provider=clinic.provider, now=NOW) != []


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (datetime.datetime(2026, 3, 3), datetime.datetime(2026, 3, 4), "invalid_time_zone"),
        (local(3, 4), local(3, 3), "invalid_range"),
        (local(3, 3), local(4, 10), "range_too_long"),
    ],
)
def test_bad_ranges_are_refused_clearly(
    clinic: Clinic, start: datetime.datetime, end: datetime.datetime, code: str
) -> None:
    with pytest.raises(SchedulingError) as refused:
        open_slots(clinic.visit, start, end, provider=clinic.provider, now=NOW)
    assert refused.value.code == code


def test_each_location_uses_its_own_time_zone(clinic: Clinic) -> None:
    west = LocationFactory.create(time_zone="America/Los_Angeles")
    clinic.provider.locations.add(west)
    weekly_hours(clinic.provider, west, datetime.time(14), datetime.time(15), weekdays=[2])
    slots = open_slots(clinic.visit, local(3, 4), local(3, 5), provider=clinic.provider, now=NOW)
    west_slots = [slot for slot in slots if slot.location_id == west.pk]
    # 14:00 in Los Angeles (PST, UTC-8) is 22:00 UTC, 17:00 in New York.
    assert west_slots[0].start == datetime.datetime(2026, 3, 4, 22, tzinfo=UTC)
    assert west_slots[0].start.astimezone(LA).hour == 14
    assert slots[0].start == local(3, 4, 9) and slots[0].location_id == clinic.location.pk


class TestDaylightSavingInNewYork:
    """US clocks go forward on Sunday 8 March 2026 and back on Sunday 1 November 2026."""

    @staticmethod
    def firsts_by_local_day(slots: list[Slot]) -> list[datetime.datetime]:
        days = sorted({slot.start.astimezone(NY).date() for slot in slots})
        return [min(s.start for s in slots if s.start.astimezone(NY).date() == day) for day in days]

    def test_spring_forward_week_keeps_local_hours(self, clinic: Clinic) -> None:
        slots = open_slots(clinic.visit, local(3, 5), local(3, 11), provider=clinic.provider, now=NOW)
        firsts = self.firsts_by_local_day(slots)
        assert [f.astimezone(NY).date().day for f in firsts] == [5, 6, 9, 10]
        assert [f.astimezone(NY).hour for f in firsts] == [9, 9, 9, 9]
        # 09:00 local is 14:00 UTC under EST (Thu, Fri), 13:00 UTC under EDT (Mon, Tue).
        assert [f.astimezone(UTC).hour for f in firsts] == [14, 14, 13, 13]
        assert len(slots) == 4 * 11

    def test_fall_back_week_keeps_local_hours(self, clinic: Clinic) -> None:
        now = datetime.datetime(2026, 10, 26, 12, tzinfo=UTC)
        slots = open_slots(clinic.visit, local(10, 29), local(11, 4), provider=clinic.provider, now=now)
        firsts = self.firsts_by_local_day(slots)
        assert [f.astimezone(NY).hour for f in firsts] == [9, 9, 9, 9]
        # Thu, Fri under EDT (13:00 UTC); Mon, Tue under EST (14:00 UTC).
        assert [f.astimezone(UTC).hour for f in firsts] == [13, 13, 14, 14]
        assert len(slots) == 4 * 11

    def test_night_hours_on_the_change_days_have_the_real_length(self, clinic: Clinic) -> None:
        # Sunday 00:00-04:00 local: 3 real hours when clocks go forward, 5 when they go back.
        weekly_hours(clinic.provider, clinic.location, datetime.time(0), datetime.time(4), weekdays=[6])
        hourly: dict[str, Any] = {"provider": clinic.provider, "step_minutes": 60}
        spring = open_slots(clinic.visit, local(3, 8), local(3, 8, 5), now=NOW, **hourly)
        assert [s.start.astimezone(UTC).hour for s in spring] == [5, 6, 7]
        autumn_now = datetime.datetime(2026, 10, 26, tzinfo=UTC)
        autumn = open_slots(clinic.visit, local(11, 1), local(11, 1, 5), now=autumn_now, **hourly)
        assert [s.start.astimezone(UTC).hour for s in autumn] == [4, 5, 6, 7, 8]
        # The 01:00 local hour happens twice; both are offered, as distinct UTC instants.
        assert [s.start.astimezone(NY).hour for s in autumn] == [0, 1, 1, 2, 3]
