"""A provider's whole week in one form: prefilled with the week in force, "copy Monday" without
saving, saved through the service (which replaces the week from a date on) and audited."""

import datetime
from typing import Any

import pytest

from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.scheduling.calendar import local_today
from practica.scheduling.models import WeeklyHours
from practica.scheduling.weekly_hours import DayHours, WeeklyHoursRefused, set_week, week_in_force
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic, LocationFactory

NINE, FIVE = datetime.time(9), datetime.time(17)


def week_data(clinic: Clinic, first: datetime.date, **days: str) -> dict[str, str]:
    data = {"location": str(clinic.location.pk), "effective_from": f"{first:%Y-%m-%d}"}
    for weekday in range(7):
        for part in ("start", "end", "break_start", "break_end"):
            data[f"day{weekday}_{part}"] = ""
    return data | days


def test_the_form_opens_on_the_week_in_force(as_role: Any, clinic: Clinic) -> None:
    response = as_role(Role.MANAGER).get(f"/setup/providers/{clinic.provider.pk}/week/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form["day0_start"].value() == NINE and form["day4_end"].value() == FIVE
    assert form["day5_start"].value() is None
    assert form["effective_from"].value() == local_today(clinic.location)
    page = response.content.decode()
    assert '<label class="visually-hidden" for="id_day2_break_start">Wednesday: break from</label>' in page
    assert "Copy Monday to the other days" in page


def test_copy_monday_fills_the_other_days_without_saving(as_role: Any, clinic: Clinic) -> None:
    client = as_role(Role.MANAGER)
    url = f"/setup/providers/{clinic.provider.pk}/week/"
    monday = {
        "day0_start": "08:00",
        "day0_end": "16:00",
        "day0_break_start": "12:00",
        "day0_break_end": "12:30",
    }
    data = week_data(clinic, local_today(clinic.location), **monday, day5_start="10:00", day5_end="12:00")
    before = list(WeeklyHours.objects.values_list("pk", flat=True))

    weekdays = client.post(url, {**data, "action": "copy_weekdays"})
    assert weekdays.status_code == 200
    form = weekdays.context["form"]
    for weekday in range(1, 5):
        assert [
            form[f"day{weekday}_{part}"].value() for part in ("start", "end", "break_start", "break_end")
        ] == [
            "08:00",
            "16:00",
            "12:00",
            "12:30",
        ]
    assert (form["day5_start"].value(), form["day6_start"].value()) == ("10:00", "")

    every_day = client.post(url, {**data, "action": "copy_all"}).context["form"]
    assert [every_day[f"day{d}_start"].value() for d in range(7)] == ["08:00"] * 7
    assert [every_day[f"day{d}_break_end"].value() for d in range(7)] == ["12:30"] * 7
    assert list(WeeklyHours.objects.values_list("pk", flat=True)) == before


def test_saving_the_week_replaces_it_from_the_date_on_and_is_audited(clinic: Clinic) -> None:
    manager = signed_in_client(staff(clinic.practice, Role.MANAGER, email="m@alpha.test"), clinic.practice)
    first = local_today(clinic.location) + datetime.timedelta(days=14)
    data = week_data(
        clinic,
        first,
        day0_start="08:00",
        day0_end="16:00",
        day0_break_start="12:00",
        day0_break_end="13:00",
        day2_start="10:00",
        day2_end="18:00",
        day5_start="09:00",
        day5_end="12:00",
    )
    response = manager.post(f"/setup/providers/{clinic.provider.pk}/week/", {**data, "action": "save"})
    assert response.status_code == 302

    # The old week ends the day before; the new one starts on the date, closed days included.
    assert set(
        WeeklyHours.objects.filter(effective_from__lt=first).values_list("effective_until", flat=True)
    ) == {first - datetime.timedelta(days=1)}
    new = WeeklyHours.objects.filter(effective_from=first).order_by("weekday", "kind")
    assert [(r.weekday, r.kind, f"{r.start_time:%H:%M}-{r.end_time:%H:%M}") for r in new] == [
        (0, "break", "12:00-13:00"),
        (0, "work", "08:00-16:00"),
        (2, "work", "10:00-18:00"),
        (5, "work", "09:00-12:00"),
    ]
    before = first - datetime.timedelta(days=1)
    assert [day.start for day in week_in_force(clinic.provider, clinic.location, before)][:5] == [NINE] * 5
    after = week_in_force(clinic.provider, clinic.location, first)
    assert [day.start is not None for day in after] == [True, False, True, False, False, True, False]

    events = AuditEvent.objects.filter(object_type="scheduling.weeklyhours")
    created = events.filter(action=AuditEvent.Action.CREATE, object_id__in=[str(r.pk) for r in new])
    ended = events.filter(action=AuditEvent.Action.UPDATE, changed_fields__contains=["effective_until"])
    assert created.count() == 4 and ended.count() == 5
    assert {e.actor_email for e in [*created, *ended]} == {"m@alpha.test"}


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ({"day1_start": "09:00"}, "Tuesday: enter both the start and the end of working hours."),
        ({"day1_start": "17:00", "day1_end": "09:00"}, "Tuesday: the end must be after the start."),
        (
            {
                "day1_start": "09:00",
                "day1_end": "17:00",
                "day1_break_start": "08:00",
                "day1_break_end": "10:00",
            },
            "Tuesday: the break must be inside the working hours.",
        ),
        (
            {"day1_break_start": "12:00", "day1_break_end": "13:00"},
            "Tuesday: a break needs working hours that day.",
        ),
        ({"day1_start": "nine"}, "Enter a valid time."),
    ],
)
def test_a_refused_day_is_an_error_on_that_day_and_nothing_is_written(
    as_role: Any, clinic: Clinic, day: dict[str, str], message: str
) -> None:
    before = list(WeeklyHours.objects.order_by("pk").values())
    data = week_data(clinic, local_today(clinic.location), day0_start="09:00", day0_end="17:00", **day)
    response = as_role(Role.MANAGER).post(f"/setup/providers/{clinic.provider.pk}/week/", data)
    assert response.status_code == 400
    assert message in response.context["form"].errors["day1_start"]
    assert 'aria-describedby="id_day1_start_error"' in response.content.decode()
    assert list(WeeklyHours.objects.order_by("pk").values()) == before


def test_a_location_the_provider_does_not_work_at_is_not_a_choice(as_role: Any, clinic: Clinic) -> None:
    elsewhere = LocationFactory.create(name="Elsewhere")
    url = f"/setup/providers/{clinic.provider.pk}/week/"
    assert as_role(Role.MANAGER).get(f"{url}?location={elsewhere.pk}").status_code == 404
    data = week_data(clinic, local_today(clinic.location), day0_start="09:00", day0_end="17:00")
    assert as_role(Role.MANAGER).post(url, {**data, "location": elsewhere.pk}).status_code == 404
    assert not WeeklyHours.objects.filter(location=elsewhere).exists()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN, Role.BILLER])
def test_only_setup_roles_set_the_week(as_role: Any, clinic: Clinic, role: str) -> None:
    url = f"/setup/providers/{clinic.provider.pk}/week/"
    client = as_role(role)
    assert client.get(url).status_code == 403
    data = week_data(clinic, local_today(clinic.location), day0_start="07:00", day0_end="08:00")
    assert client.post(url, data).status_code == 403
    assert not WeeklyHours.objects.filter(start_time=datetime.time(7)).exists()


def test_the_service_refuses_a_week_that_is_not_seven_days(clinic: Clinic) -> None:
    today = local_today(clinic.location)
    with pytest.raises(WeeklyHoursRefused) as refused:
        set_week(clinic.provider, clinic.location, [DayHours(0, NINE, FIVE)], today)
    assert refused.value.problems == [("days", "Give each day of the week once.")]


def test_the_hours_list_links_to_each_providers_week(as_role: Any, clinic: Clinic) -> None:
    page = as_role(Role.MANAGER).get("/setup/hours/").content.decode()
    assert f'href="/setup/providers/{clinic.provider.pk}/week/"' in page
