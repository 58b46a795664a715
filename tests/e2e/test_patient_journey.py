"""A new patient, in a real browser: registers, confirms their email, signs in, books a visit and
fills in its intake packet; every portal page on the way passes axe-core with no serious or
critical violation."""

import re
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from intake.models import IntakeSubmission
from portal.models import PortalAccount
from scheduling.models import Appointment
from tests.e2e.conftest import CONSENT_BODY, Server, Site, assert_accessible

# django_db: pytest-django only creates the test database for sessions with a test that asks for it.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

PATIENT_EMAIL = "june.park@example.org"
PATIENT_PASSWORD = "a long portal passphrase 42"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def register_and_sign_in(page: Any, server: Server) -> None:
    page.goto(f"{server.base_url}/portal/register/")
    assert_accessible(page)
    page.get_by_label("First name").fill("June")
    page.get_by_label("Last name").fill("Park")
    page.get_by_label("Date of birth").fill("1990-04-12")
    page.get_by_label("Email").fill(PATIENT_EMAIL)
    page.get_by_label("Password", exact=True).fill(PATIENT_PASSWORD)
    page.get_by_label("Password again").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", level=1).wait_for()
    assert PATIENT_EMAIL in page.content()
    assert_accessible(page)

    (email,) = server.emails_to(PATIENT_EMAIL)
    link = re.search(r"https?://\S+/portal/verify/\S+/", email)
    assert link, email
    page.goto(link.group(0))
    assert page.url.endswith("/portal/login/")
    assert_accessible(page)
    page.get_by_label("Email").fill(PATIENT_EMAIL)
    page.get_by_label("Password").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.base_url}/portal/")
    assert_accessible(page)


def book_first_open_time(page: Any, site: Site) -> str:
    page.get_by_role("navigation", name="Patient portal").get_by_role("link", name="Book a visit").click()
    page.wait_for_url("**/portal/book/")
    assert_accessible(page)
    page.get_by_label("Type of visit").select_option(label=site.visit_type)
    page.get_by_role("button", name="See open times").click()
    page.get_by_role("heading", name="Choose a time").wait_for()
    assert_accessible(page)
    page.locator("ul.slots a").first.click()
    page.get_by_role("heading", name="Confirm your visit").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url(re.compile(r"/portal/appointments/[0-9a-f-]{36}/$"))
    assert_accessible(page)
    return str(page.url.rstrip("/").rsplit("/", 1)[1])


def fill_intake(page: Any, server: Server, appointment_id: str) -> None:
    page.goto(f"{server.base_url}/portal/forms/")
    assert_accessible(page)
    page.locator(f'a[href="/portal/forms/{appointment_id}/"]').click()
    page.get_by_role("heading", level=1).wait_for()
    assert CONSENT_BODY in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Send to the practice").click()  # nothing filled in yet
    page.get_by_role("alert").first.wait_for()
    assert_accessible(page)  # the error state too
    page.get_by_label("Allergies").fill("Penicillin")
    page.get_by_role("group", name="Do you smoke?").get_by_label("No").check()
    page.get_by_label("Type your full name to sign: Consent to treatment").fill("June Park")
    page.locator('input[type="file"]').set_input_files(
        {"name": "card.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_role("button", name="Send to the practice").click()
    page.get_by_text("You signed this on").wait_for()  # back on the packet, as sent
    assert_accessible(page)


def visit_the_other_portal_pages(page: Any, server: Server, appointment_id: str) -> None:
    """The pages the journey does not pass through, each checked by axe-core as well."""
    for path in (
        f"/portal/appointments/{appointment_id}/reschedule/",
        f"/portal/appointments/{appointment_id}/cancel/",
        "/portal/waitlist/",
    ):
        page.goto(server.base_url + path)
        page.get_by_role("heading", level=1).wait_for()
        assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/portal/login/")
    page.get_by_role("link", name=re.compile("forgot", re.I)).click()
    page.wait_for_url("**/portal/password-reset/")
    assert_accessible(page)


def test_patient_registers_books_and_fills_in_intake(
    e2e_site: Site, server: Server, new_context: Any
) -> None:
    page = new_context().new_page()
    register_and_sign_in(page, server)
    appointment_id = book_first_open_time(page, e2e_site)
    fill_intake(page, server, appointment_id)
    visit_the_other_portal_pages(page, server, appointment_id)

    with tenant_context(e2e_site.practice):
        account = PortalAccount.objects.get(email=PATIENT_EMAIL)
        assert account.email_verified_at is not None
        appointment = Appointment.objects.get(pk=appointment_id)
        assert appointment.patient_id == account.patient_id
        assert appointment.source == Appointment.Source.PORTAL
        submission = IntakeSubmission.objects.get(appointment=appointment)
        assert submission.status == IntakeSubmission.Status.SUBMITTED
        answers = {r.item.label: r for r in submission.responses.select_related("item")}
        assert answers["Allergies"].answer == "Penicillin"
        assert answers["Consent to treatment"].signed_name == "June Park"
