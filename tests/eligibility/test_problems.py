"""Coverage problems before visits (the desk's list and its home page number), and one payer's
answer with its raw 271, every view of which is in the audit trail."""

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils import timezone

from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.eligibility import services
from practica.eligibility.models import EligibilityCheck
from practica.eligibility.selectors import coverage_problems
from practica.insurance.models import Coverage
from practica.scheduling.booking import cancel_appointment
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.claims.factories import CoverageFactory, PayerFactory
from tests.claims.test_scrub_eligibility import INACTIVE_271
from tests.conftest import signed_in_client, staff
from tests.eligibility.conftest import SUBSCRIBER_271
from tests.factories import Clinic, PatientFactory, make_clinic


def _answer(coverage: Coverage, raw: str, hours_ago: float = 0) -> EligibilityCheck:
    when = timezone.now() - dt.timedelta(hours=hours_ago)
    return services.record_response(
        services.begin_check(coverage, service_date=when.date(), now=when), raw, now=when
    )


def _visit(clinic: Clinic, days: int, hour: int) -> tuple[Appointment, Coverage]:
    patient = PatientFactory.create()
    coverage = CoverageFactory.create(patient=patient, payer=PayerFactory.create())
    return clinic.book(clinic.next_weekday_at(hour, days=days), patient=patient), coverage


def test_inactive_or_unknown_coverage_before_a_visit_is_on_the_desk_list(
    practice_a: Practice, in_practice: Any, badx12_edi: Path
) -> None:
    active = (badx12_edi / SUBSCRIBER_271).read_text()
    with in_practice(practice_a):
        clinic = make_clinic(practice_a, hours=None, book_override=True)
        inactive_visit, inactive = _visit(clinic, 2, 9)
        _answer(inactive, INACTIVE_271)
        fixed_visit, fixed = _visit(clinic, 2, 10)
        _answer(fixed, INACTIVE_271, hours_ago=2)
        _answer(fixed, active)  # the patient's new details: the payer now says active
        cancelled_visit, cancelled = _visit(clinic, 3, 11)
        _answer(cancelled, INACTIVE_271)
        cancel_appointment(cancelled_visit, by_patient=False)
        far_visit, far = _visit(clinic, 12, 12)
        _answer(far, INACTIVE_271)
        _visit(clinic, 2, 13)  # never checked: not a problem yet
        listed = list(coverage_problems(timezone.now()))
        assert [row.pk for row in listed] == [inactive_visit.pk]
        assert listed[0].eligibility_status == "inactive"  # type: ignore[attr-defined]
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    home = desk.get("/").content.decode()
    assert 'href="/eligibility/problems/" data-count="1"' in home
    page = desk.get("/eligibility/problems/")
    text = page.content.decode()
    assert page.status_code == 200 and len(page.context["rows"]) == 1
    assert inactive_visit.patient.last_name in text and "Insurance inactive" in text
    assert f"/schedule/appointments/{inactive_visit.pk}/" in text
    # (by the visits' links: made-up names can repeat)
    assert f"/schedule/appointments/{far_visit.pk}/" not in text
    assert f"/schedule/appointments/{fixed_visit.pk}/" not in text
    with in_practice(practice_a):
        viewed = AuditEvent.objects.filter(action="view", object_id=str(inactive_visit.patient_id))
        assert viewed.exists()  # the list shows patients: its views are recorded


def test_the_raw_271_is_shown_decrypted_and_every_view_is_audited(
    practice_a: Practice, in_practice: Any, coverage: Coverage, badx12_edi: Path
) -> None:
    raw = (badx12_edi / SUBSCRIBER_271).read_text()
    with in_practice(practice_a):
        check = _answer(coverage, raw)
        assert raw[:30] not in check.raw_271_encrypted  # at rest, encrypted
    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    chart = biller.get(f"/patients/{coverage.patient_id}/").content.decode()
    assert f'href="/eligibility/checks/{check.pk}/"' in chart
    for _ in range(2):
        page = biller.get(f"/eligibility/checks/{check.pk}/")
        assert page.status_code == 200
    text = page.content.decode()
    assert "Insurance active" in text and "NM1*PR*2*ABC COMPANY" in text
    with in_practice(practice_a):
        views = AuditEvent.objects.filter(action="view", object_id=str(check.pk))
        assert views.count() == 2
        assert {event.object_type for event in views} == {"eligibility.eligibilitycheck"}
    assert biller.get("/eligibility/checks/not-a-uuid/").status_code == 404
    assert biller.get("/eligibility/checks/00000000-0000-0000-0000-000000000000/").status_code == 404
