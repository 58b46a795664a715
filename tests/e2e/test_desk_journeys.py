"""The front desk and the manager in a real browser (CSP on, axe-core checking each page): a new
patient who may already have a record is warned about, created anyway, then merged into the
record they duplicate; and every number on the home page equals the rows of the list it opens, at
tablet width without a horizontal scroll."""

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect
from psycopg.types.range import Range

from practica.accounts.models import Membership, User
from practica.accounts.roles import Role
from practica.patients.models import Patient, PatientMerge
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from practica.scheduling.validators import with_check_digit
from tests.e2e.conftest import Server, Site, assert_accessible, sign_in_staff
from tests.factories import PatientFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

MANAGER_EMAIL = "manager@e2e.example"
TABLET = {"width": 768, "height": 1024}
ROWS = "main table tbody tr:not(:has(td[colspan]))"


@pytest.fixture(scope="module")
def manager(e2e_site: Site, django_db_blocker: Any) -> Iterator[User]:
    with django_db_blocker.unblock():
        user = UserFactory.create(email=MANAGER_EMAIL, full_name="Mae Manager")
        Membership.objects.create(user=user, practice=e2e_site.practice, role=Role.MANAGER)
    yield user
    with django_db_blocker.unblock():
        Membership.objects.filter(user=user).delete()


@pytest.fixture(scope="module")
def grace(e2e_site: Site, django_db_blocker: Any) -> Iterator[Patient]:
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        patient = PatientFactory.create(
            first_name="Grace", last_name="Zeller", date_of_birth=datetime.date(1984, 3, 2)
        )
    yield patient
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        PatientMerge.objects.filter(kept__last_name="Zeller").delete()
        Patient.objects.filter(last_name="Zeller").delete()


def test_a_likely_duplicate_is_warned_about_then_merged(
    server: Server, manager: User, grace: Patient, new_context: Any, e2e_site: Site, django_db_blocker: Any
) -> None:
    page = new_context(viewport=TABLET).new_page()
    sign_in_staff(page, server, MANAGER_EMAIL)
    page.goto(f"{server.base_url}/patients/new/")
    page.get_by_label("First name").fill("Gracie")
    page.get_by_label("Last name").fill("Zeller")
    page.get_by_label("Date of birth").fill("1984-03-02")
    page.get_by_role("button", name="Save").click()
    warning = page.locator("#likely-duplicates")
    expect(warning).to_contain_text("Zeller, Grace")
    expect(warning).to_contain_text("same date of birth and a similar name")
    assert_accessible(page)
    page.get_by_label("This is a different person: create the record anyway").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Gracie Zeller")

    page.get_by_role("link", name="Merge a duplicate into this record").click()
    page.get_by_role("link", name=re.compile(r"Zeller, Grace \(1984-03-02\)")).click()
    assert_accessible(page)
    page.get_by_role("button", name="Merge Zeller, Grace into Zeller, Gracie").click()
    expect(page.get_by_role("status")).to_contain_text("is merged into Zeller, Gracie")
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        assert list(Patient.objects.filter(last_name="Zeller").values_list("first_name", flat=True)) == [
            "Gracie"
        ]
        assert PatientMerge.objects.get(merged_patient_id=grace.pk).merged_by_name == "Mae Manager"


@pytest.fixture(scope="module")
def busy_day(e2e_site: Site, django_db_blocker: Any) -> Iterator[None]:
    """Today at the clinic: one patient waiting, one booked (committed, for the server), with a
    provider of their own: other journeys leave today's visits on the site's provider."""
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        location = Location.objects.get(name="Main clinic")
        provider, _ = Provider.objects.get_or_create(
            display_name="Dr Busy Day", defaults={"npi": with_check_digit("197531864")}
        )
        now = timezone.now().astimezone(datetime.UTC)
        made = []
        for minutes, status in ((-30, Appointment.Status.CHECKED_IN), (-90, Appointment.Status.BOOKED)):
            start = now.replace(second=0, microsecond=0) + datetime.timedelta(minutes=minutes)
            end = start + datetime.timedelta(minutes=30)
            made.append(Appointment.objects.create(
                patient=PatientFactory.create(last_name="Waiting"), location=location,
                provider=provider, appointment_type=AppointmentType.objects.get(name=e2e_site.visit_type),
                start=start, end=end, occupancy=Range(start, end), status=status,
            ))  # fmt: skip
    yield
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        for appointment in made:
            patient = appointment.patient
            appointment.delete()
            patient.delete()
        provider.delete()


def test_every_home_page_number_matches_the_list_it_opens(
    server: Server, e2e_site: Site, busy_day: None, new_context: Any
) -> None:
    page = new_context(viewport=TABLET).new_page()
    sign_in_staff(page, server, e2e_site.staff_email)
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    numbers = page.locator("a.card.number")
    found = [
        (numbers.nth(i).get_attribute("href"), numbers.nth(i).get_attribute("data-count"))
        for i in range(numbers.count())
    ]
    assert any("status=checked_in" in href and count == "1" for href, count in found), found
    for href, count in found:
        page.goto(f"{server.base_url}{href}")
        assert page.locator(ROWS).count() == int(count or -1), href
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"], href
