"""A new patient, in a real browser: registers, confirms their email, signs in, books a visit,
fills in its intake packet and writes to the care team, whose reply (sent by a member of staff in a
second browser context) appears on the patient's open page without a reload. Every portal page on
the way passes axe-core with no serious or critical violation."""

import re
import time
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from portal.models import PortalAccount
from practica.intake.models import IntakeSubmission
from practica.messaging.models import Thread
from practica.scheduling.models import Appointment
from tests.e2e.conftest import CONSENT_BODY, Server, Site, assert_accessible, sign_in_staff

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


def talk_to_the_care_team(page: Any, server: Server, new_context: Any, site: Site) -> None:
    page.get_by_role("navigation", name="Patient portal").get_by_role("link", name="Messages").click()
    page.wait_for_url("**/portal/messages/")
    assert_accessible(page)
    page.get_by_role("link", name="Write a new message").click()
    page.wait_for_url("**/portal/messages/new/")
    assert_accessible(page)
    page.get_by_label("Your message").fill("Can I bring my own blood test results?")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_url(re.compile(r"/portal/messages/[0-9a-f-]{36}/$"))
    thread = page.get_by_role("list", name="Messages")
    thread.get_by_text("Can I bring my own blood test results?").wait_for()
    assert_accessible(page)
    # A reload would lose this mark; the reply must arrive with the page as it is.
    page.evaluate("window.stillTheSamePage = true")

    staff = new_context().new_page()
    sign_in_staff(staff, server, site.staff_email)
    staff.goto(f"{server.base_url}/messages/")
    staff.get_by_role("link", name="June Park").click()
    staff.get_by_text("Can I bring my own blood test results?").wait_for()
    staff.locator("#thread-messages[data-live]").wait_for()  # its socket is open
    staff.get_by_label("Reply to the patient").fill("Yes, please bring them along.")
    typing = page.get_by_role("status").filter(has_text="The care team is writing…")
    typing.wait_for(timeout=5_000)
    sent_at = time.monotonic()
    staff.get_by_role("button", name="Send reply").click()

    thread.get_by_text("Yes, please bring them along.").wait_for(timeout=5_000)
    typing.wait_for(state="detached", timeout=5_000)  # the reply itself ends the hint
    arrived_after = time.monotonic() - sent_at
    assert page.evaluate("window.stillTheSamePage") is True
    assert arrived_after < 3, arrived_after  # the issue asks for within a second; slack for CI
    assert_accessible(page)


def visit_the_other_portal_pages(page: Any, server: Server, appointment_id: str) -> None:
    """The pages the journey does not pass through, each checked by axe-core as well."""
    for path in (
        f"/portal/appointments/{appointment_id}/reschedule/",
        f"/portal/appointments/{appointment_id}/cancel/",
        "/portal/waitlist/",
        "/portal/profile/security/",
        "/portal/profile/phone/",
    ):
        page.goto(server.base_url + path)
        page.get_by_role("heading", level=1).wait_for()
        assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/portal/login/")
    page.get_by_role("link", name=re.compile("forgot", re.I)).click()
    page.wait_for_url("**/portal/password-reset/")
    assert_accessible(page)
    page.get_by_label("Email").fill(PATIENT_EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_role("heading", level=1).wait_for()
    reset = re.search(r"https?://\S+/portal/password-reset/\S+/", server.emails_to(PATIENT_EMAIL)[-1])
    assert reset
    page.goto(reset.group(0))
    page.get_by_label("Password again").wait_for()
    assert_accessible(page)
    page.goto(f"{server.base_url}/portal/verify/not-a-token/")  # a link gone wrong
    page.get_by_role("heading", level=1).wait_for()
    assert_accessible(page)


def test_patient_registers_books_fills_in_intake_and_gets_a_live_reply(
    e2e_site: Site, server: Server, new_context: Any
) -> None:
    page = new_context().new_page()
    register_and_sign_in(page, server)
    appointment_id = book_first_open_time(page, e2e_site)
    fill_intake(page, server, appointment_id)
    talk_to_the_care_team(page, server, new_context, e2e_site)
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
        (thread,) = Thread.objects.filter(patient=account.patient)
        assert [(m.author, m.body) for m in thread.messages.order_by("pk")] == [
            ("patient", "Can I bring my own blood test results?"),
            ("staff", "Yes, please bring them along."),
        ]
