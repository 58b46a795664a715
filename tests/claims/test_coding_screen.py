"""The coding screen: diagnoses found in the ICD-10-CM table, charge lines coded through the
services, the claim's stored findings beside the fields, and coding frozen behind a sent claim."""

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from practica.accounts.roles import Role
from practica.claims import lifecycle
from practica.claims.encounters import open_encounter_for
from practica.claims.models import Claim, ClaimStatus, Encounter, ScrubFinding, Severity
from practica.codesets.models import Icd10Code
from practica.codesets.selectors import search_diagnoses
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.claims.conftest import VISIT_START, Billing
from tests.claims.factories import visit
from tests.conftest import signed_in_client, staff


def completed_encounter(billing: Billing, days: int = 0) -> Encounter:
    appointment = visit(
        billing.patient, billing.provider, billing.location, billing.visit_type,
        VISIT_START + datetime.timedelta(days=days), status=Appointment.Status.COMPLETED,
    )  # fmt: skip
    return open_encounter_for(appointment)


def as_role(practice: Practice, role: str = Role.CLINICIAN) -> Client:
    return signed_in_client(staff(practice, role), practice)


@pytest.fixture
def encounter(billing: Billing) -> Encounter:
    return completed_encounter(billing)


def url(encounter: Encounter) -> str:
    return f"/claims/encounters/{encounter.pk}/"


def test_the_screen_shows_the_visit_its_lines_and_links_to_patient_and_visit(
    billing: Billing, encounter: Encounter, practice_a: Practice
) -> None:
    page = as_role(practice_a).get(url(encounter))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'href="/patients/{billing.patient.pk}/"' in body
    assert f'href="/schedule/appointments/{encounter.appointment_id}/"' in body
    assert "99213" in body and "96372" in body
    assert "Make a claim" not in body  # a clinician codes; billers make claims


def test_diagnoses_are_added_ordered_and_removed(encounter: Encounter, practice_a: Practice) -> None:
    client = as_role(practice_a)
    for code in ("e11.9", "I10"):
        assert client.post(url(encounter), {"action": "add_diagnosis", "code": code}).status_code == 302
    assert [d.code for d in encounter.diagnoses.all()] == ["E11.9", "I10"]
    client.post(url(encounter), {"action": "move_diagnosis", "code": "I10"})
    assert [d.code for d in encounter.diagnoses.all()] == ["I10", "E11.9"]
    client.post(url(encounter), {"action": "remove_diagnosis", "code": "I10"})
    assert [(d.position, d.code) for d in encounter.diagnoses.all()] == [(1, "E11.9")]


def test_a_code_not_billable_is_refused_with_the_reason(encounter: Encounter, practice_a: Practice) -> None:
    Icd10Code.objects.create(
        code="E11", compact="E11", description="Type 2 diabetes", billable=False, edition="t"
    )
    page = as_role(practice_a).post(url(encounter), {"action": "add_diagnosis", "code": "E11"})
    assert page.status_code == 400
    assert "Not a billable ICD-10-CM code: E11." in page.content.decode()
    assert not encounter.diagnoses.exists()


def test_search_finds_billable_codes_by_prefix_and_words_only(
    encounter: Encounter, practice_a: Practice
) -> None:
    Icd10Code.objects.create(
        code="E11.65", compact="E1165", description="Type 2 diabetes mellitus with hyperglycemia",
        billable=True, edition="t",
    )  # fmt: skip
    Icd10Code.objects.create(code="E11", compact="E11", description="Type 2 diabetes mellitus", edition="t")
    client = as_role(practice_a)
    by_words = client.get("/claims/diagnoses/?q=diabetes hyperglyc").json()["results"]
    assert by_words == [{"code": "E11.65", "description": "Type 2 diabetes mellitus with hyperglycemia"}]
    by_code = [r["code"] for r in client.get("/claims/diagnoses/?q=e11.").json()["results"]]
    assert "E11.65" in by_code and "E11.9" in by_code and "E11" not in by_code
    assert client.get("/claims/diagnoses/?q=" + "x" * 101).status_code == 400
    page = client.get(url(encounter) + "?q=hyperglyc")
    assert 'value="E11.65"' in page.content.decode()  # an Add button without JavaScript too


def test_search_uses_the_indexes_not_a_scan_of_the_table(billing: Billing) -> None:
    # A table big enough (and analysed) for the planner to weigh the indexes as it does with the
    # whole code set (98,000 rows), where a sequential scan is dearer than the index too.
    Icd10Code.objects.bulk_create(
        Icd10Code(code=f"Q{n // 1000:02d}.{n % 1000:03d}", compact=f"Q{n:05d}", billable=True, edition="t",
                  description=f"Synthetic condition {n} of the {('left', 'right')[n % 2]} limb")
        for n in range(20000)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE codesets_icd10code")
        cursor.execute("SET LOCAL enable_seqscan = off")
        for text, index in (
            ("E11", "icd10_billable_prefix_idx"),
            ("diabetes hyperglyc", "icd10_billable_words_idx"),
        ):
            sql, params = search_diagnoses(text).query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan and index in plan, plan


def test_a_line_is_coded_with_modifiers_units_and_pointers(
    billing: Billing, encounter: Encounter, practice_a: Practice
) -> None:
    client = as_role(practice_a)
    client.post(url(encounter), {"action": "add_diagnosis", "code": "E11.9"})
    client.post(url(encounter), {"action": "add_diagnosis", "code": "I10"})
    line = encounter.charge_lines.get(position=1)
    response = client.post(
        url(encounter),
        {
            "action": "save_line", "line": line.pk, f"line{line.pk}-procedure": billing.office_visit.pk,
            f"line{line.pk}-units": "1", f"line{line.pk}-modifier_1": "25", f"line{line.pk}-modifier_2": "gt",
            f"line{line.pk}-pointer_1": "2", f"line{line.pk}-pointer_2": "1",
        },
    )  # fmt: skip
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.modifiers, line.diagnosis_pointers, line.units, line.charge_cents) == (
        ["25", "GT"],
        [2, 1],
        1,
        12000,
    )
    added = client.post(
        url(encounter),
        {"action": "save_line", "line": "new", "new-procedure": billing.injection.pk, "new-units": "3",
         "new-pointer_1": "1"},
    )  # fmt: skip
    assert added.status_code == 302
    new = encounter.charge_lines.get(position=3)
    assert (new.procedure, new.units, new.charge_cents, new.diagnosis_pointers) == (
        billing.injection,
        3,
        7500,
        [1],
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pointer_1", "3", "Select a valid choice"),  # only 2 diagnoses to point at
        ("modifier_1", "2?", "A modifier is 2 letters or digits."),
        ("units", "0", "greater than or equal to 1"),
    ],
)
def test_a_bad_line_is_a_form_error_and_changes_nothing(
    billing: Billing, encounter: Encounter, practice_a: Practice, field: str, value: str, message: str
) -> None:
    client = as_role(practice_a)
    client.post(url(encounter), {"action": "add_diagnosis", "code": "E11.9"})
    client.post(url(encounter), {"action": "add_diagnosis", "code": "I10"})
    line = encounter.charge_lines.get(position=1)
    data = {"action": "save_line", "line": line.pk, f"line{line.pk}-procedure": billing.office_visit.pk,
            f"line{line.pk}-units": "1", f"line{line.pk}-{field}": value}  # fmt: skip
    page = client.post(url(encounter), data)
    assert page.status_code == 400
    assert message in page.content.decode()
    line.refresh_from_db()
    assert (line.units, line.modifiers, line.diagnosis_pointers) == (1, [], [])


def test_the_same_pointer_twice_is_refused(
    billing: Billing, encounter: Encounter, practice_a: Practice
) -> None:
    client = as_role(practice_a)
    client.post(url(encounter), {"action": "add_diagnosis", "code": "E11.9"})
    line = encounter.charge_lines.get(position=1)
    page = client.post(
        url(encounter),
        {"action": "save_line", "line": line.pk, f"line{line.pk}-procedure": billing.office_visit.pk,
         f"line{line.pk}-units": "1", f"line{line.pk}-pointer_1": "1", f"line{line.pk}-pointer_2": "1"},
    )  # fmt: skip
    assert page.status_code == 400 and "Point at each diagnosis once." in page.content.decode()


def test_lines_are_removed_and_coding_is_finished(encounter: Encounter, practice_a: Practice) -> None:
    client = as_role(practice_a)
    refused = client.post(url(encounter), {"action": "finish"})
    assert refused.status_code == 400 and "Add at least one diagnosis" in refused.content.decode()
    client.post(url(encounter), {"action": "add_diagnosis", "code": "I10"})
    line = encounter.charge_lines.get(position=2)
    assert client.post(url(encounter), {"action": "remove_line", "line": line.pk}).status_code == 302
    assert list(encounter.charge_lines.values_list("position", flat=True)) == [1]
    assert client.post(url(encounter), {"action": "finish"}).status_code == 302
    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.CODED


def test_a_biller_makes_the_claim_and_its_findings_show_beside_the_fields(
    encounter: Encounter, practice_a: Practice
) -> None:
    client = as_role(practice_a, Role.BILLER)
    client.post(url(encounter), {"action": "add_diagnosis", "code": "E11.9"})
    assert client.post(url(encounter), {"action": "start_claim"}).status_code == 302
    claim = Claim.objects.get(encounter=encounter)
    first = claim.lines.get(line_number=1)
    ScrubFinding.objects.create(
        claim=claim, rule_id="LINE-POINTER", field="line.diagnosis_pointers", line=first,
        message="Point line 1 at a diagnosis.", severity=Severity.ERROR,
    )  # fmt: skip
    ScrubFinding.objects.create(
        claim=claim, rule_id="DX-EXTERNAL-FIRST", field="claim.diagnosis_codes",
        message="The first diagnosis is an external cause.", severity=Severity.WARNING,
    )  # fmt: skip
    body = client.get(url(encounter)).content.decode()
    diagnoses, lines = body.index('id="diagnoses"'), body.index('id="lines"')
    line_one = body.index(f'id="line-{first.charge_line_id}"')
    assert diagnoses < body.index("The first diagnosis is an external cause.") < lines
    assert line_one < body.index("Point line 1 at a diagnosis.")
    assert "Make a claim" not in body  # one live claim per visit


def test_coding_a_draft_claims_visit_carries_into_the_claim(
    encounter: Encounter, practice_a: Practice
) -> None:
    client = as_role(practice_a, Role.BILLER)
    client.post(url(encounter), {"action": "add_diagnosis", "code": "E11.9"})
    client.post(url(encounter), {"action": "start_claim"})
    client.post(url(encounter), {"action": "add_diagnosis", "code": "I10"})
    line = encounter.charge_lines.get(position=2)
    client.post(url(encounter), {"action": "remove_line", "line": line.pk})
    claim = Claim.objects.get(encounter=encounter)
    assert claim.diagnosis_codes == ["E11.9", "I10"]
    assert list(claim.lines.values_list("procedure_code", flat=True)) == ["99213"]
    assert claim.total_charge_cents == 12000


def test_coding_is_frozen_behind_a_ready_claim(encounter: Encounter, practice_a: Practice) -> None:
    client = as_role(practice_a, Role.BILLER)
    client.post(url(encounter), {"action": "add_diagnosis", "code": "E11.9"})
    client.post(url(encounter), {"action": "start_claim"})
    claim = Claim.objects.get(encounter=encounter)
    ScrubFinding.objects.filter(claim=claim).delete()  # as if the scrub found nothing
    lifecycle.transition_claim(claim, ClaimStatus.READY)
    page = client.post(url(encounter), {"action": "add_diagnosis", "code": "I10"})
    assert page.status_code == 400
    assert f"Claim {claim.patient_control_number} is ready to submit" in page.content.decode()
    assert [d.code for d in encounter.diagnoses.all()] == ["E11.9"]
    assert "Save line" not in client.get(url(encounter)).content.decode()


def test_front_desk_cannot_code_nor_search(encounter: Encounter, practice_a: Practice) -> None:
    client = as_role(practice_a, Role.FRONT_DESK)
    assert client.get(url(encounter)).status_code == 403
    assert client.post(url(encounter), {"action": "add_diagnosis", "code": "I10"}).status_code == 403
    assert client.get("/claims/diagnoses/?q=E11").status_code == 403
    assert not encounter.diagnoses.exists()


def test_a_clinician_cannot_make_a_claim(encounter: Encounter, practice_a: Practice) -> None:
    client = as_role(practice_a)
    client.post(url(encounter), {"action": "add_diagnosis", "code": "E11.9"})
    assert client.post(url(encounter), {"action": "start_claim"}).status_code == 403
    assert not Claim.objects.exists()


def test_unknown_ids_and_actions_are_404_and_400(
    encounter: Encounter, practice_a: Practice, **_: Any
) -> None:
    client = as_role(practice_a)
    assert client.get("/claims/encounters/not-a-uuid/").status_code == 404
    assert client.post(url(encounter), {"action": "remove_line", "line": "999999"}).status_code == 404
    assert client.post(url(encounter), {"action": "explode"}).status_code == 400


def test_saving_scrubs_the_claim_again_and_the_findings_follow(
    billing: Billing, practice_a: Practice
) -> None:
    # Seen a week before the clock, whatever day the suite runs: far from the payer's filing limit.
    week_ago = timezone.localdate() - datetime.timedelta(days=7)
    encounter = completed_encounter(billing, days=(week_ago - VISIT_START.date()).days)
    client = as_role(practice_a, Role.BILLER)
    client.post(url(encounter), {"action": "add_diagnosis", "code": "E11.9"})
    client.post(url(encounter), {"action": "start_claim"})
    claim = Claim.objects.get(encounter=encounter)
    line = encounter.charge_lines.get(position=1)
    unpointed = ScrubFinding.objects.get(claim=claim, line__charge_line=line)
    body = client.get(url(encounter)).content.decode()
    assert body.index(f'id="line-{line.pk}"') < body.index(unpointed.message) < body.index('id="claim"')
    for each in encounter.charge_lines.all():
        client.post(
            url(encounter),
            {"action": "save_line", "line": each.pk, f"line{each.pk}-procedure": each.procedure_id,
             f"line{each.pk}-units": each.units, f"line{each.pk}-pointer_1": "1"},
        )  # fmt: skip
    claim.refresh_from_db()
    assert not ScrubFinding.objects.filter(claim=claim).exists()
    assert (claim.error_count, claim.warning_count) == (0, 0)
    assert "0 errors, 0 warnings at the last scrub." in client.get(url(encounter)).content.decode()


def test_a_completed_visit_s_page_links_to_its_coding_screen_for_those_who_code(
    encounter: Encounter, practice_a: Practice
) -> None:
    link = f'href="{url(encounter)}"'
    page = as_role(practice_a).get(f"/schedule/appointments/{encounter.appointment_id}/").content.decode()
    assert link in page
    desk = as_role(practice_a, Role.FRONT_DESK).get(f"/schedule/appointments/{encounter.appointment_id}/")
    assert desk.status_code == 200 and link not in desk.content.decode()
