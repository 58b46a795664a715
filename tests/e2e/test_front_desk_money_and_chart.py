"""The front desk's money and the patient chart in a real browser (CSP on, axe-core checking each
page): a patient checked in from today's list with their copay taken in cash and a receipt emailed
and printed; and a manager reading a chart (coverage and copay, upcoming and past visits, balance),
writing to the patient from it, and coming back to it from the pages that name the patient; the
calendar opening at the current time, booking from a free cell and moving a visit by dragging; and
a staff member resetting a forgotten password from the emailed link."""

import datetime
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from playwright.sync_api import expect
from psycopg.types.range import Range

from practica.accounts.models import Membership, User
from practica.accounts.password_reset import reset_limit_key
from practica.accounts.roles import Role
from practica.insurance.services import save_coverage
from practica.patient_billing import ledger
from practica.patient_billing.models import LedgerEntry
from practica.patients.models import Patient
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from tests.e2e.conftest import ZONE, Server, Site, assert_accessible, sign_in_staff
from tests.factories import PatientFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

CHART_MANAGER = "chart-manager@e2e.example"
TABLET = {"width": 768, "height": 1024}
FETCH_START = """
async (url) => {
  const response = await fetch(url);
  const body = await response.text();
  return [response.status, response.headers.get('content-type'), body.slice(0, 4)];
}
"""


def _appointment(site: Site, patient: Patient, start: datetime.datetime, status: str) -> Appointment:
    end = start + datetime.timedelta(minutes=30)
    return Appointment.objects.create(
        patient=patient,
        location=Location.objects.get(name="Main clinic"),
        provider=Provider.objects.get(display_name=site.provider_name),
        appointment_type=AppointmentType.objects.get(name=site.visit_type),
        start=start,
        end=end,
        occupancy=Range(start, end),
        status=status,
    )


@pytest.fixture(scope="module")
def copay_visit(e2e_site: Site, django_db_blocker: Any) -> Iterator[Appointment]:
    """A patient with a $20 copay on their coverage, booked a few minutes ago today."""
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        patient = PatientFactory.create(first_name="Zoe", last_name="Copay", email="zoe.copay@example.org")
        save_coverage(
            patient,
            {"payer_name": "Acme Health", "member_id": "ZC1", "relationship": "18", "copay_cents": 2_000},
        )
        local = timezone.now().astimezone(ZoneInfo(ZONE)).replace(second=0, microsecond=0)
        start = local - datetime.timedelta(minutes=10) if local.hour or local.minute >= 10 else local
        appointment = _appointment(e2e_site, patient, start, Appointment.Status.BOOKED)
    yield appointment
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        # Its payment stays (the ledger is append-only); the visit leaves "waiting" for later journeys.
        Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.COMPLETED)


def test_check_in_takes_the_copay_in_cash_with_a_receipt(
    server: Server, e2e_site: Site, copay_visit: Appointment, new_context: Any, django_db_blocker: Any
) -> None:
    page = new_context(viewport=TABLET).new_page()
    sign_in_staff(page, server, e2e_site.staff_email)
    page.goto(f"{server.base_url}/schedule/today/")
    page.get_by_role("link", name="Check in: Copay, Zoe").click()

    expect(page.locator("#copay")).to_have_text("$20.00")
    expect(page.locator("#suggested")).to_have_text("$20.00")
    expect(page.locator("#cards-hint")).to_be_visible()  # no card payments set up: none offered
    assert_accessible(page)
    page.get_by_label("Amount to take (USD)").fill("20.00")
    page.get_by_label("Cash").check()
    page.get_by_label("Email a receipt to the patient").check()
    page.get_by_role("button", name="Check in").click()

    expect(page.locator("#receipt-amount")).to_have_text("$20.00")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Receipt R-")
    assert_accessible(page)
    # The printable receipt, fetched by the page itself (same origin, its cookies, under the CSP).
    href = page.get_by_role("link", name="Print receipt (PDF)").get_attribute("href")
    status, kind, start = page.evaluate(FETCH_START, href)
    assert (status, kind, start) == (200, "application/pdf", "%PDF")

    [email] = server.emails_to("zoe.copay@example.org")
    assert "$20.00" in email and "Cash" in email
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        copay_visit.refresh_from_db()
        assert copay_visit.status == Appointment.Status.CHECKED_IN
        payment = LedgerEntry.objects.get(appointment=copay_visit, kind=LedgerEntry.Kind.PAYMENT)
        assert (payment.method, payment.amount_cents, payment.created_by.email) == (  # type: ignore[union-attr]
            "cash",
            -2_000,
            e2e_site.staff_email,
        )


@pytest.fixture(scope="module")
def chart_manager(e2e_site: Site, django_db_blocker: Any) -> Iterator[User]:
    with django_db_blocker.unblock():
        user = UserFactory.create(email=CHART_MANAGER, full_name="Cass Manager")
        Membership.objects.create(user=user, practice=e2e_site.practice, role=Role.MANAGER)
    yield user
    with django_db_blocker.unblock():
        Membership.objects.filter(user=user).delete()


@pytest.fixture(scope="module")
def nora(e2e_site: Site, django_db_blocker: Any) -> Iterator[Patient]:
    """A patient with a coverage, a visit last week, one in three days and $45 owed."""
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        patient = PatientFactory.create(first_name="Nora", last_name="Chartwell", email="nora@example.org")
        save_coverage(
            patient,
            {"payer_name": "Bluebird Mutual", "member_id": "NC9", "relationship": "18", "copay_cents": 1_500},
        )
        zone = ZoneInfo(ZONE)
        today = timezone.now().astimezone(zone).date()
        at_ten = datetime.time(10)
        past = datetime.datetime.combine(today - datetime.timedelta(days=7), at_ten, tzinfo=zone)
        upcoming = datetime.datetime.combine(today + datetime.timedelta(days=3), at_ten, tzinfo=zone)
        _appointment(e2e_site, patient, past, Appointment.Status.COMPLETED)
        _appointment(e2e_site, patient, upcoming, Appointment.Status.BOOKED)
        ledger.post_entry(patient, LedgerEntry.Kind.CHARGE, 4_500, memo="Visit")
    yield patient


def test_the_chart_shows_the_patient_and_every_page_naming_them_leads_back(
    server: Server, chart_manager: User, nora: Patient, new_context: Any
) -> None:
    page = new_context(viewport=TABLET).new_page()
    sign_in_staff(page, server, CHART_MANAGER)
    page.goto(f"{server.base_url}/patients/?q=Chartwell")
    page.get_by_role("link", name="Chartwell, Nora").click()

    chart_url = f"{server.base_url}/patients/{nora.pk}/"
    expect(page).to_have_url(chart_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Nora Chartwell")
    coverages = page.locator("section[aria-labelledby=coverages-h]")
    expect(coverages).to_contain_text("Bluebird Mutual")
    expect(coverages).to_contain_text("$15.00")
    expect(page.locator("#upcoming li")).to_have_count(1)
    expect(page.locator("#past li")).to_have_count(1)
    expect(page.locator("#upcoming")).to_contain_text("Booked")
    expect(page.locator("#chart-balance")).to_have_text("$45.00")
    assert_accessible(page)

    # Writing to the patient from the chart opens the conversation, which names them with a link.
    page.get_by_label(re.compile("Write to the patient")).fill("Please bring your new insurance card.")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Please bring your new insurance card.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Nora Chartwell").click()
    expect(page).to_have_url(chart_url)
    expect(page.locator("section[aria-labelledby=messages-h] li")).to_have_count(1)

    # The upcoming visit's page names the patient too, and leads back.
    page.locator("#upcoming a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nora Chartwell")
    page.get_by_role("link", name="Nora Chartwell").click()
    expect(page).to_have_url(chart_url)
    # Each view of the chart is in its trail, and the chart shows who looked.
    viewers = page.locator("section[aria-labelledby=viewers-h]")
    expect(viewers).to_contain_text(CHART_MANAGER)
    expect(viewers).to_contain_text("manager")


@pytest.fixture(scope="module")
def tomorrows_visit(e2e_site: Site, django_db_blocker: Any) -> Iterator[Appointment]:
    """A visit tomorrow at 10:00 at the clinic, to be dragged to 14:00."""
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        patient = PatientFactory.create(first_name="Milo", last_name="Dragg")
        zone = ZoneInfo(ZONE)
        tomorrow = timezone.now().astimezone(zone).date() + datetime.timedelta(days=1)
        start = datetime.datetime.combine(tomorrow, datetime.time(10), tzinfo=zone)
        appointment = _appointment(e2e_site, patient, start, Appointment.Status.BOOKED)
    yield appointment
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        Appointment.objects.filter(patient=patient, rescheduled_from__isnull=False).delete()
        Appointment.objects.filter(patient=patient).delete()
        patient.delete()


def test_the_calendar_opens_at_now_offers_booking_and_moves_a_visit_by_dragging(
    server: Server, e2e_site: Site, tomorrows_visit: Appointment, new_context: Any, django_db_blocker: Any
) -> None:
    page = new_context(viewport=TABLET).new_page()
    sign_in_staff(page, server, e2e_site.staff_email)
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        provider = Provider.objects.get(display_name=e2e_site.provider_name)
    calendar = f"{server.base_url}/schedule/?scope=provider&id={provider.pk}"

    # Opened with no date: today's column first, and the current time in view (the script scrolled).
    page.goto(calendar)
    today = timezone.now().astimezone(ZoneInfo(ZONE)).date()
    expect(page.locator("table.calendar thead th").nth(1)).to_have_text(f"{today:%a %b} {today.day}")
    now_row = page.locator("#now")
    expect(now_row).to_be_in_viewport()
    assert_accessible(page)

    # A free cell's "Book" link is reached from the keyboard and opens the booking form at its time.
    tomorrow = tomorrows_visit.start.astimezone(ZoneInfo(ZONE)).date()
    page.goto(f"{calendar}&view=day&date={tomorrow}")
    cell = page.locator(f'td[data-date="{tomorrow}"][data-time="11:00"]')
    book = cell.get_by_role("link", name=re.compile(r"^Book .* 11:00 with Dr Ada Lane$"))
    expect(book).to_be_visible()
    expect(book).to_contain_text("Book")
    book.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/schedule/book/\?start="))
    expect(page.get_by_label("Time", exact=True)).to_have_value("11:00")

    # Dragging the 10:00 visit onto 14:00 moves it, and the calendar comes back (both cells in
    # view: the mouse does not scroll the page while it drags).
    page.set_viewport_size({"width": TABLET["width"], "height": 2400})
    page.goto(f"{calendar}&view=day&date={tomorrow}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.drag_and_drop("a.appt[data-move-url]", f'td[data-date="{tomorrow}"][data-time="14:00"]')
    expect(page.get_by_role("status").filter(has_text="Appointment moved.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/schedule/\?scope=provider"))
    expect(page.locator(f'td[data-date="{tomorrow}"][data-time="14:00"] a.appt')).to_contain_text(
        "Milo Dragg"
    )
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        moved = Appointment.objects.get(rescheduled_from=tomorrows_visit)
        assert moved.start.astimezone(ZoneInfo(ZONE)).time() == datetime.time(14)


FORGETFUL = "forgetful@e2e.example"


@pytest.fixture(scope="module")
def forgetful(e2e_site: Site, django_db_blocker: Any) -> Iterator[User]:
    # The hour's request counts live in Redis, which outlives a run: start this one from none.
    with schema_context("public"):
        cache.delete_many([reset_limit_key("email", FORGETFUL), reset_limit_key("address", "127.0.0.1")])
    with django_db_blocker.unblock():
        user = UserFactory.create(email=FORGETFUL, full_name="Fay Forgetful")
        Membership.objects.create(user=user, practice=e2e_site.practice, role=Role.FRONT_DESK)
    yield user
    with django_db_blocker.unblock():
        Membership.objects.filter(user=user).delete()


def test_a_staff_member_resets_a_forgotten_password_by_email(
    server: Server, forgetful: User, new_context: Any
) -> None:
    page = new_context(viewport=TABLET).new_page()
    page.goto(f"{server.base_url}/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    assert_accessible(page)
    page.get_by_label("Email").fill("forgetful@e2e.example")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text("an email with a link to choose a new password")
    assert_accessible(page)

    [email] = server.emails_to("forgetful@e2e.example")
    link = re.search(r"http://\S+/login/reset/\S+", email)
    assert link, email
    page.goto(link.group(0))
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill("a new desk passphrase 8823")
    page.get_by_label("New password again").fill("a new desk passphrase 8823")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    page.get_by_label("Email").fill("forgetful@e2e.example")
    page.get_by_label("Password").fill("a new desk passphrase 8823")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    # The link worked once.
    page.goto(link.group(0))
    expect(page.get_by_role("alert")).to_contain_text("invalid, used or expired")
