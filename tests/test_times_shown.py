"""Every page that shows a time shows it at the location (or, for what belongs to no location, the
practice) with the zone named, never in UTC: a Chicago practice, each such page rendered.

The clock is frozen at 16:05 UTC (10:05 AM in Chicago) on 10 January 2030: messages, audit entries,
submissions and ledger lines are stamped then. The visit is on 15 January at 2:00 PM in Chicago,
20:00 UTC; a waitlist offer at 8:10 AM (14:10 UTC), open until 6:10 AM (12:10 UTC). No page may
show a UTC time (machine-readable `datetime` attributes aside, which carry their offset).
"""

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.intake import services as intake_services
from practica.intake.models import IntakeItem
from practica.messaging import services as messaging
from practica.patient_billing import ledger
from practica.patient_billing.models import LedgerEntry
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment, WaitlistEntry, WaitlistOffer
from practica.scheduling.waitlist import claim_token
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import make_clinic
from tests.portal.conftest import make_account, portal_client

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime.datetime(2030, 1, 10, 16, 5, tzinfo=datetime.UTC)
VISIT = datetime.datetime(2030, 1, 15, 14, 0, tzinfo=CHICAGO)
OFFERED = datetime.datetime(2030, 1, 14, 8, 10, tzinfo=CHICAGO)  # 14:10 UTC
# In Chicago, zone named (the visit's and the stamps'), and the same instants in UTC.
VISIT_SHOWN, STAMP_SHOWN = "2:00 PM CST", "10:05 AM CST"
UTC_TIMES = ("8:00 PM", "20:00", "4:05 PM", "16:05", "2:10 PM", "14:10", "12:10 PM", "12:10")


@dataclass
class Chicago:
    practice: Practice
    appointment: Appointment
    thread_id: str
    patient_client: Client
    staff_client: Client
    claim_path: str


@pytest.fixture
def chicago(practice_a: Practice) -> Iterator[Chicago]:
    practice_a.time_zone = "America/Chicago"
    practice_a.save(update_fields=["time_zone"])
    with time_machine.travel(NOW, tick=False), tenant_context(practice_a):
        clinic = make_clinic(
            practice_a,
            zone="America/Chicago",
            location={"address_line1": "1 Lake St"},
            provider={"display_name": "Dr Ada Lane"},
            weekdays=range(7),
            visit={"name": "Check-up"},
        )
        location, provider, visit = clinic.location, clinic.provider, clinic.visit
        packet = intake_services.packet_for_type(visit)
        intake_services.add_question(packet, label="Allergies", field_type=IntakeItem.FieldType.SHORT_TEXT)
        account = make_account("lake@example.org", first_name="Lena", last_name="Lake")
        patient = account.patient
        appointment = book_appointment(
            patient=patient,
            appointment_type=visit,
            provider=provider,
            location=location,
            start=VISIT,
            source=Appointment.Source.STAFF,
        ).appointment
        thread = messaging.start_thread(patient, "A question about my visit", appointment=appointment)
        intake_services.submit_packet(
            intake_services.open_submission(appointment),
            answers={item.pk: "None" for item in packet.items.all()},
            signatures={},
            documents={},
            ip="203.0.113.5",
        )
        ledger.post_entry(patient, LedgerEntry.Kind.CHARGE, 5_000, memo="Visit")
        entry = WaitlistEntry.objects.create(
            patient=patient,
            appointment_type=visit,
            earliest=VISIT - datetime.timedelta(days=3),
            latest=VISIT,
        )
        offer = WaitlistOffer.objects.create(
            entry=entry,
            provider=provider,
            location=location,
            start=OFFERED,
            expires_at=OFFERED - datetime.timedelta(hours=2),  # 6:10 AM in Chicago, 12:10 UTC
        )
        yield Chicago(
            practice=practice_a,
            appointment=appointment,
            thread_id=str(thread.pk),
            patient_client=portal_client(account, practice_a),
            staff_client=signed_in_client(staff(practice_a, Role.OWNER), practice_a),
            claim_path=f"/portal/waitlist/claim/{claim_token(offer)}/",
        )


def _assert_local(page: str, url: str, *shown: str) -> None:
    for text in shown:
        assert text in page, f"{url}: {text!r} not shown"
    for utc in UTC_TIMES:
        assert utc not in page, f"{url}: shows the UTC time {utc!r}"


def _get(client: Client, url: str) -> str:
    """The page as a person reads it: without the `datetime` attributes of <time> elements."""
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return re.sub(r'datetime="[^"]*"', "", response.content.decode())


PORTAL_PAGES = [
    ("/portal/", [VISIT_SHOWN]),
    ("/portal/appointments/{appointment}/", [VISIT_SHOWN, "2:30 PM CST"]),
    ("/portal/appointments/{appointment}/cancel/", [VISIT_SHOWN]),
    ("/portal/appointments/{appointment}/reschedule/", [VISIT_SHOWN, "9:00 AM CST"]),
    ("/portal/messages/", [STAMP_SHOWN]),
    ("/portal/messages/new/", [VISIT_SHOWN]),  # it listed the visit at 8:00 PM (UTC)
    ("/portal/messages/{thread}/", [STAMP_SHOWN]),
    ("/portal/forms/", [VISIT_SHOWN]),
    ("/portal/forms/{appointment}/", [VISIT_SHOWN]),
    ("{claim}", ["8:10 AM CST", "6:10 AM CST"]),
]

STAFF_PAGES = [
    ("/schedule/appointments/{appointment}/", [VISIT_SHOWN, "2:30 PM CST", STAMP_SHOWN]),
    ("/schedule/waitlist/", ["8:10 AM CST", "6:10 AM CST"]),
    ("/messages/", [STAMP_SHOWN]),
    ("/messages/{thread}/", [STAMP_SHOWN, "15 Jan 2030, 2:00 PM CST"]),
    ("/intake/review/", [STAMP_SHOWN, "15 Jan 2030, 2:00 PM CST"]),
    ("/billing/patients/{patient}/", [STAMP_SHOWN]),
    ("/notifications/log/", ["CST"]),
]


def _url(template: str, site: Chicago) -> str:
    return template.format(
        appointment=site.appointment.pk,
        thread=site.thread_id,
        claim=site.claim_path,
        patient=site.appointment.patient_id,
    )


@pytest.mark.parametrize(("url", "shown"), PORTAL_PAGES, ids=[url for url, _ in PORTAL_PAGES])
def test_portal_pages_show_times_in_the_locations_zone(chicago: Chicago, url: str, shown: list[str]) -> None:
    with time_machine.travel(NOW, tick=False):
        _assert_local(_get(chicago.patient_client, _url(url, chicago)), url, *shown)


@pytest.mark.parametrize(("url", "shown"), STAFF_PAGES, ids=[url for url, _ in STAFF_PAGES])
def test_back_office_pages_show_times_in_the_practices_zone(
    chicago: Chicago, url: str, shown: list[str]
) -> None:
    with time_machine.travel(NOW, tick=False):
        _assert_local(_get(chicago.staff_client, _url(url, chicago)), url, *shown)


def test_the_audit_trail_shows_its_stamps_in_the_practices_zone(chicago: Chicago) -> None:
    """The database stamps audit events (its own clock, not the frozen one): each is shown as it was
    in Chicago, to the second, and its UTC time is not."""
    with tenant_context(chicago.practice):
        stamps = list(AuditEvent.objects.order_by("-at").values_list("at", flat=True)[:5])
    assert stamps
    page = _get(chicago.staff_client, "/audit/")
    for at in stamps:
        local, utc = at.astimezone(CHICAGO), at.astimezone(datetime.UTC)
        assert f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}" in page
        assert f"{utc:%Y-%m-%d %H:%M:%S}" not in page
