import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from practica.accounts.models import BillingCompany, BillingCompanyMember, Membership, User
from practica.accounts.roles import Role
from practica.patients.models import Patient
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider, Room
from practica.scheduling.validators import with_check_digit
from tenants.models import Practice

PASSWORD = "correct horse battery staple"
# Hashed once (argon2 is deliberately slow); every factory user shares it.
_PASSWORD_HASH = make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = _PASSWORD_HASH


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.FRONT_DESK


class BillingCompanyFactory(factory.django.DjangoModelFactory[BillingCompany]):
    class Meta:
        model = BillingCompany

    name = factory.Sequence(lambda n: f"Billing Co {n}")
    slug = factory.Sequence(lambda n: f"billing-co-{n}")


class BillingCompanyMemberFactory(factory.django.DjangoModelFactory[BillingCompanyMember]):
    class Meta:
        model = BillingCompanyMember

    company = factory.SubFactory(BillingCompanyFactory)
    user = factory.SubFactory(UserFactory)


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1980, 5, 17)


class LocationFactory(factory.django.DjangoModelFactory[Location]):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Clinic {n}")


class ProviderFactory(factory.django.DjangoModelFactory[Provider]):
    class Meta:
        model = Provider

    display_name = factory.Faker("name")
    npi = factory.Sequence(lambda n: with_check_digit(f"1{n:08d}"))


# --- one practice's bookable basics ----------------------------------------------------------


@dataclass
class Clinic:
    """What make_clinic built in one practice. The optional parts (a room, a patient, a type staff
    book but patients cannot) exist only when asked for; reading one that was not is an error."""

    practice: Practice
    location: Location
    provider: Provider
    visit: AppointmentType
    _room: Room | None = None
    _patient: Patient | None = None
    _staff_only: AppointmentType | None = None
    book_override: bool = False  # book() past the rules (notice, hours), as staff may

    @property
    def room(self) -> Room:
        assert self._room is not None, "make_clinic(..., room=True) makes one"
        return self._room

    @property
    def patient(self) -> Patient:
        assert self._patient is not None, "make_clinic(..., patient={...}) makes one"
        return self._patient

    @property
    def staff_only(self) -> AppointmentType:
        assert self._staff_only is not None, "make_clinic(..., staff_only=True) makes one"
        return self._staff_only

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.location.time_zone)

    def local(self, days_ahead: int, hour: int, minute: int = 0) -> datetime.datetime:
        """A local time at the location, `days_ahead` days from today there."""
        day = timezone.now().astimezone(self.zone).date() + datetime.timedelta(days=days_ahead)
        return datetime.datetime.combine(day, datetime.time(hour, minute), self.zone)

    def next_weekday_at(self, hour: int, days: int = 3) -> datetime.datetime:
        """A local time on a weekday at least `days` days ahead (outside any notice)."""
        date = timezone.now().astimezone(self.zone).date() + datetime.timedelta(days=days)
        while date.weekday() >= 5:
            date += datetime.timedelta(days=1)
        return datetime.datetime.combine(date, datetime.time(hour), tzinfo=self.zone)

    def book(self, start: datetime.datetime, patient: Patient | None = None) -> Appointment:
        """A staff booking of the visit type with the provider at the location."""
        return book_appointment(
            patient=patient or self.patient,
            appointment_type=self.visit,
            provider=self.provider,
            location=self.location,
            start=start,
            source=Appointment.Source.STAFF,
            override=self.book_override,
        ).appointment


def make_clinic(
    practice: Practice,
    *,
    zone: str = "America/New_York",
    location: dict[str, Any] | None = None,
    provider: dict[str, Any] | None = None,
    hours: tuple[int, int] | None = (9, 17),
    weekdays: Iterable[int] = range(5),
    hours_from: datetime.date = datetime.date(2020, 1, 1),
    visit: dict[str, Any] | None = None,
    staff_only: bool = False,
    room: bool = False,
    patient: dict[str, Any] | None = None,
    book_override: bool = False,
) -> Clinic:
    """The one builder of a practice's bookable basics, in the current practice's schema: a
    location in `zone`, a provider working there `hours` (from-to, whole hours) on `weekdays`
    (None: no hours), and a visit type (30 minutes, 60 of notice unless `visit` says otherwise).
    On request, a room, a patient (`patient`: their fields) and a type patients cannot book."""
    from tests.scheduling.factories import AppointmentTypeFactory, weekly_hours

    place = LocationFactory.create(time_zone=zone, **(location or {}))
    doctor = ProviderFactory.create(**(provider or {}))
    doctor.locations.add(place)
    if hours is not None:
        start, end = hours
        weekly_hours(
            doctor,
            place,
            datetime.time(start),
            datetime.time(end),
            weekdays=list(weekdays),
            effective_from=hours_from,
        )
    return Clinic(
        practice=practice,
        location=place,
        provider=doctor,
        visit=AppointmentTypeFactory.create(**(visit or {})),
        _room=Room.objects.create(location=place, name="Room 1") if room else None,
        _patient=PatientFactory.create(**patient) if patient is not None else None,
        _staff_only=AppointmentType.objects.create(
            name="Minor surgery", duration_minutes=60, bookable_online=False
        )
        if staff_only
        else None,
        book_override=book_override,
    )
