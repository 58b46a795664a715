"""Likely duplicates are flagged wherever a patient is created (back office, API; the portal's
registration shows them to the staff who review it), pickers find patients by name or birth date
as one types, and staff who may merge records move everything of a duplicate onto the record kept."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from portal.models import PortalAccount, ProxyLink
from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.claims.models import Claim, Encounter
from practica.insurance.models import Coverage
from practica.intake.models import IntakeSubmission
from practica.messaging.models import Thread
from practica.patient_billing.ledger import post_entry
from practica.patient_billing.models import LedgerEntry, Payment
from practica.patients import services
from practica.patients.duplicates import (
    SAME_BIRTH_AND_NAME,
    SAME_EMAIL,
    SAME_PHONE,
    Candidate,
    likely_duplicates,
)
from practica.patients.errors import LikelyDuplicate, MergeRefused
from practica.patients.merge import merge_patients
from practica.patients.models import Patient, PatientMerge, PatientProfile
from practica.scheduling.models import Appointment, WaitlistEntry
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import LocationFactory, PatientFactory, ProviderFactory
from tests.surface import _plant_scheduling_and_portal_rows, plant_billing

pytestmark = pytest.mark.django_db

BORN = datetime.date(1984, 3, 2)
GRACE = {"first_name": "Grace", "last_name": "Chen", "date_of_birth": BORN}


def _reasons(found: list[Candidate]) -> dict[str, tuple[str, ...]]:
    return {f"{c.patient.first_name} {c.patient.last_name}": c.reasons for c in found}


# --- finding them ------------------------------------------------------------------------------


def test_same_birth_date_and_similar_name_phone_or_email_are_likely_duplicates(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        PatientFactory.create(first_name="Grace", last_name="Chen", date_of_birth=BORN)
        PatientFactory.create(first_name="Chen", last_name="Gracie", date_of_birth=BORN)  # swapped, nickname
        PatientFactory.create(first_name="Grace", last_name="Chen", date_of_birth=datetime.date(1990, 1, 1))
        PatientFactory.create(first_name="Luis", last_name="Chen", date_of_birth=BORN)  # a sibling
        PatientFactory.create(first_name="Mother", last_name="Wu", phone="+15125550147")
        PatientFactory.create(first_name="Other", last_name="Ng", email="GRACE@example.org")
        with CaptureQueriesContext(connection) as queries:
            found = likely_duplicates({**GRACE, "phone": "(512) 555-0147", "email": "grace@example.org"})
        assert len(queries.captured_queries) == 1
        assert _reasons(found) == {
            "Grace Chen": (SAME_BIRTH_AND_NAME,),
            "Chen Gracie": (SAME_BIRTH_AND_NAME,),
            "Mother Wu": (SAME_PHONE,),
            "Other Ng": (SAME_EMAIL,),
        }
        assert found[0].patient.first_name == "Grace"  # the most alike first
        assert likely_duplicates({"first_name": "", "last_name": "", "date_of_birth": None}) == []


def test_the_duplicate_lookup_and_the_name_search_use_indexes(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        Patient.objects.bulk_create(
            Patient(
                first_name=f"First{n}", last_name=f"Last{n}", date_of_birth=datetime.date(1950, 1, 1)
                + datetime.timedelta(days=n), phone=f"+1512555{n:04d}", email=f"p{n}@example.org",
            )
            for n in range(3000)
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE patients_patient")
        from practica.patients.selectors import search_patients

        with CaptureQueriesContext(connection) as queries:
            likely_duplicates({**GRACE, "phone": "+15125550001", "email": "p1@example.org"})
            list(search_patients("ast2999"))
        duplicates, search = queries.captured_queries
        for query, index in ((duplicates, "patient_birth_date_idx"), (search, "trgm_idx")):
            with connection.cursor() as cursor:
                if query is search:  # on a table this small a scan is cheaper; the index must serve it
                    cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
                cursor.execute("EXPLAIN " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
            assert index in plan and not re.search(r"Seq Scan on patients_patient\b", plan), plan


# --- warned when creating ---------------------------------------------------------------------


def test_creating_a_likely_duplicate_is_refused_until_confirmed(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        grace = services.create_patient(GRACE)
        with pytest.raises(LikelyDuplicate) as warned:
            services.create_patient({**GRACE, "first_name": "Gracie"})
        assert [c.patient for c in warned.value.candidates] == [grace]
        assert Patient.objects.count() == 1
        services.create_patient({**GRACE, "first_name": "Gracie"}, check_duplicates=False)
        assert Patient.objects.count() == 2


def test_back_office_form_lists_likely_duplicates_then_creates_when_confirmed(practice_a: Practice) -> None:
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    with tenant_context(practice_a):
        grace = PatientFactory.create(**GRACE)
    form = {"first_name": "Grace", "last_name": "Chen", "date_of_birth": "1984-03-02", "sex": "F"}
    response = desk.post("/patients/new/", form)
    page = response.content.decode()
    assert response.status_code == 200 and "Likely duplicates" in page
    assert f"/patients/{grace.pk}/" in page and "1984-03-02" in page and "not_a_duplicate" in page
    with tenant_context(practice_a):
        assert Patient.objects.count() == 1
    response = desk.post("/patients/new/", {**form, "not_a_duplicate": "on"})
    assert response.status_code == 302
    with tenant_context(practice_a):
        assert Patient.objects.filter(first_name="Grace").count() == 2


def test_api_answers_409_with_the_candidates_unless_confirmed(practice_a: Practice) -> None:
    api = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    with tenant_context(practice_a):
        grace = PatientFactory.create(**GRACE, phone="+15125550147")
    body = {"first_name": "Grace", "last_name": "Chen", "date_of_birth": "1984-03-02"}
    response = api.post("/api/v1/patients/", body, content_type="application/json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "likely_duplicate",
        "message": response.json()["message"],
        "candidates": [
            {
                "id": str(grace.pk),
                "name": "Chen, Grace",
                "date_of_birth": "1984-03-02",
                "reasons": [SAME_BIRTH_AND_NAME],
            }
        ],
    }
    response = api.post(
        "/api/v1/patients/", {**body, "not_a_duplicate": True}, content_type="application/json"
    )
    assert response.status_code == 201 and "not_a_duplicate" not in response.json()


def test_a_portal_registration_of_a_likely_duplicate_is_shown_to_its_reviewers(practice_a: Practice) -> None:
    from portal import accounts

    with tenant_context(practice_a):
        existing = PatientFactory.create(first_name="Grace", last_name="Chen", date_of_birth=BORN)
        account = accounts.register_patient(
            first_name="Gracie",
            last_name="Chen",
            date_of_birth=BORN,
            email="g@example.org",
            password="a long passphrase 77",
        )
        assert account is not None
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    page = desk.get("/portal/staff/registrations/").content.decode()
    assert f'<option value="{existing.pk}">' in page


# --- pickers ----------------------------------------------------------------------------------


def test_patient_search_answers_names_with_birth_dates_as_json(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        for born in (BORN, datetime.date(1990, 6, 7)):
            PatientFactory.create(first_name="Grace", last_name="Chen", date_of_birth=born)
        PatientFactory.create(first_name="Ann", last_name="Other")
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    desk.get("/patients/search.json?q=ch")  # sessions and routing warmed
    with CaptureQueriesContext(connection) as queries:
        response = desk.get("/patients/search.json?q=chen gra")
    labels = [result["label"] for result in response.json()["results"]]
    assert labels == ["Chen, Grace (1984-03-02)", "Chen, Grace (1990-06-07)"]
    # Routing, session and role (8), the search, its audit rows; the same for any number found.
    assert len(queries.captured_queries) == 11, [q["sql"] for q in queries.captured_queries]
    by_date = desk.get("/patients/search.json?q=1990-06-07").json()["results"]
    assert [result["date_of_birth"] for result in by_date] == ["1990-06-07"]
    assert desk.get("/patients/search.json?q=c").json() == {"results": []}
    with tenant_context(practice_a):
        assert AuditEvent.objects.filter(action="view", object_type="patients.patient").exists()


def test_booking_and_waitlist_pickers_name_patients_with_their_birth_dates(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        PatientFactory.create(first_name="Grace", last_name="Chen", date_of_birth=BORN)
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    for path in ("/schedule/book/?q=chen", "/schedule/waitlist/"):
        page = desk.get(path).content.decode()
        assert "Chen, Grace (1984-03-02)" in page, path
        assert 'data-patient-search="/patients/search.json"' in page, path


# --- merging ----------------------------------------------------------------------------------


def test_merge_moves_every_related_record_to_the_record_kept_and_is_audited(practice_a: Practice) -> None:
    manager = staff(practice_a, Role.MANAGER, full_name="Mona Manager")
    with tenant_context(practice_a):
        keep = PatientFactory.create(**GRACE)
        PatientProfile.objects.create(patient=keep, city="Austin")
        duplicate = PatientFactory.create(**{**GRACE, "first_name": "Gracie"}, phone="+15125550147")
        PatientProfile.objects.create(patient=duplicate, address_line1="1 Elm St", city="Round Rock")
        location, provider = LocationFactory.create(), ProviderFactory.create()
        plant_billing(duplicate, location, provider)
        planted = _plant_scheduling_and_portal_rows(practice_a, duplicate, location, provider)
        kept_coverage = Coverage.objects.create(patient=keep, unmapped_payer_name="Kept Co", member_id="K1")
        post_entry(duplicate, LedgerEntry.Kind.CHARGE, 2500, memo="Visit")
        before = {
            "appointments": Appointment.objects.filter(patient=duplicate).count(),
            "claims": Claim.objects.filter(patient=duplicate).count(),
            "encounters": Encounter.objects.filter(patient=duplicate).count(),
            "ledger": LedgerEntry.objects.filter(patient=duplicate).count(),
        }
    client = signed_in_client(manager, practice_a)
    page = client.get(f"/patients/{keep.pk}/merge/").content.decode()
    assert f"?other={duplicate.pk}" in page  # offered as a likely duplicate
    page = client.get(f"/patients/{keep.pk}/merge/?other={duplicate.pk}").content.decode()
    assert "Merge Chen, Gracie into Chen, Grace" in page
    response = client.post(f"/patients/{keep.pk}/merge/", {"other": str(duplicate.pk)})
    assert response.status_code == 302 and response["Location"] == f"/patients/{keep.pk}/"
    with tenant_context(practice_a):
        assert not Patient.objects.filter(pk=duplicate.pk).exists()
        assert Appointment.objects.filter(patient=keep).count() == before["appointments"] == 1
        assert Claim.objects.filter(patient=keep).count() == before["claims"]
        assert Encounter.objects.filter(patient=keep).count() == before["encounters"] == 2
        assert LedgerEntry.objects.filter(patient=keep).count() == before["ledger"]
        assert LedgerEntry.objects.filter(patient=keep, amount_cents=2500).exists()
        assert Payment.objects.filter(patient=keep).count() == 1
        assert Thread.objects.filter(patient=keep).count() == 1
        assert IntakeSubmission.objects.filter(patient=keep).count() == 1
        assert WaitlistEntry.objects.filter(patient=keep).count() == 1
        assert PortalAccount.objects.get(pk=planted["account"]).patient_id == keep.pk
        assert ProxyLink.objects.get(pk=planted["proxy"]).account.patient_id == keep.pk
        # Both had an active primary coverage: the kept one stays active, the other is history.
        coverages = {c.pk: c.is_active for c in Coverage.objects.filter(patient=keep)}
        assert len(coverages) == 2 and coverages[kept_coverage.pk] is True and sum(coverages.values()) == 1
        keep.refresh_from_db()
        assert keep.phone == "+15125550147"  # filled in from the duplicate
        profile = PatientProfile.objects.get(patient=keep)
        assert (profile.city, profile.address_line1) == ("Austin", "1 Elm St")
        merge = PatientMerge.objects.get()
        assert (merge.kept, merge.merged_patient_id) == (keep, duplicate.pk)
        assert merge.merged_by_name == "Mona Manager"
        assert (
            merge.moved["scheduling.appointment"] == 1
            and merge.moved["billing.ledgerentry"] == before["ledger"]
        )
        assert AuditEvent.objects.filter(
            object_type="scheduling.appointment", action="update", actor_id=manager.pk
        ).exists()
        assert AuditEvent.objects.filter(
            object_type="patients.patient", object_id=str(duplicate.pk), action="delete", actor_id=manager.pk
        ).exists()
        assert AuditEvent.objects.filter(object_type="patients.patientmerge", action="create").exists()


def test_merge_is_refused_for_one_record_twice_or_two_portal_accounts(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        keep = PatientFactory.create(**GRACE)
        duplicate = PatientFactory.create(**GRACE)
        with pytest.raises(MergeRefused):
            merge_patients(keep=keep, duplicate=keep)
        for patient, email in ((keep, "a@example.org"), (duplicate, "b@example.org")):
            PortalAccount.objects.create(patient=patient, email=email, password="!")
        with pytest.raises(MergeRefused, match="portal account"):
            merge_patients(keep=keep, duplicate=duplicate)
        assert Patient.objects.count() == 2 and not PatientMerge.objects.exists()


def test_only_staff_who_may_merge_see_or_use_the_merge(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        keep = PatientFactory.create(**GRACE)
        duplicate = PatientFactory.create(**GRACE)
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    assert "Merge a duplicate" not in desk.get(f"/patients/{keep.pk}/").content.decode()
    assert desk.post(f"/patients/{keep.pk}/merge/", {"other": str(duplicate.pk)}).status_code == 403
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    assert "Merge a duplicate" in owner.get(f"/patients/{keep.pk}/").content.decode()
    with tenant_context(practice_a):
        assert Patient.objects.count() == 2
