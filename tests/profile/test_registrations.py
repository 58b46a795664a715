"""Staff review of self-registered portal accounts: confirm as new, or merge into an existing record."""

import datetime

from django_tenants.utils import tenant_context

from portal import accounts
from portal.models import PortalAccount
from practica.accounts.roles import Role
from practica.patients.models import Patient
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic, PatientFactory
from tests.portal.conftest import PATIENT_PASSWORD

BIRTH = datetime.date(1975, 7, 9)


def _register(email: str) -> PortalAccount:
    account = accounts.register_patient(
        first_name="June", last_name="Hart", date_of_birth=BIRTH, email=email, password=PATIENT_PASSWORD
    )
    assert account is not None
    return account


def test_self_registration_waits_and_staff_confirm_it(clinic: Clinic, practice_a: Practice) -> None:
    account = _register("june@example.org")
    assert account.awaiting_review
    clinician = signed_in_client(staff(practice_a, Role.CLINICIAN), practice_a)
    page = clinician.get("/portal/staff/registrations/")
    assert page.status_code == 200 and "june@example.org" in page.content.decode()
    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    assert biller.post(f"/portal/staff/registrations/{account.pk}/confirm/").status_code == 403
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    assert desk.post(f"/portal/staff/registrations/{account.pk}/confirm/").status_code == 302
    account.refresh_from_db()
    assert not account.awaiting_review
    assert "june@example.org" not in desk.get("/portal/staff/registrations/").content.decode()
    # Once reviewed, it cannot be reviewed again.
    assert desk.post(f"/portal/staff/registrations/{account.pk}/confirm/").status_code == 404


def test_merge_moves_account_to_existing_record_and_removes_duplicate(
    clinic: Clinic, practice_a: Practice
) -> None:
    existing = PatientFactory.create(first_name="June", last_name="Hart", date_of_birth=BIRTH)
    namesake = PatientFactory.create(
        first_name="June", last_name="Hart", date_of_birth=datetime.date(1990, 1, 1)
    )
    account = _register("june2@example.org")
    duplicate_id = account.patient_id
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    page = desk.get("/portal/staff/registrations/").content.decode()
    assert str(existing.pk) in page and str(namesake.pk) not in page

    # A record with another birth date is not a merge target.
    response = desk.post(
        f"/portal/staff/registrations/{account.pk}/merge/", {"patient": str(namesake.pk)}, follow=True
    )
    assert "Choose a likely duplicate of this registration" in response.content.decode()
    response = desk.post(
        f"/portal/staff/registrations/{account.pk}/merge/", {"patient": "not-a-uuid"}, follow=True
    )
    assert "Choose the existing record" in response.content.decode()
    account.refresh_from_db()
    assert account.patient_id == duplicate_id and account.awaiting_review

    response = desk.post(f"/portal/staff/registrations/{account.pk}/merge/", {"patient": str(existing.pk)})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.patient_id == existing.pk and not account.awaiting_review
    assert not Patient.objects.filter(pk=duplicate_id).exists()


def test_practice_b_staff_cannot_review_practice_a_registrations(
    clinic: Clinic, practice_a: Practice, practice_b: Practice
) -> None:
    account = _register("june3@example.org")
    with tenant_context(practice_b):
        other = signed_in_client(staff(practice_b, Role.OWNER), practice_b)
    assert "june3@example.org" not in other.get("/portal/staff/registrations/").content.decode()
    assert other.post(f"/portal/staff/registrations/{account.pk}/confirm/").status_code == 404
    with tenant_context(practice_a):
        account.refresh_from_db()
    assert account.awaiting_review


def test_merge_is_refused_when_the_new_record_already_holds_data(
    clinic: Clinic, practice_a: Practice
) -> None:
    existing = PatientFactory.create(first_name="June", last_name="Hart", date_of_birth=BIRTH)
    account = _register("june4@example.org")
    book_appointment(
        patient=account.patient,
        appointment_type=clinic.visit,
        provider=clinic.provider,
        location=clinic.location,
        start=clinic.local(2, 9),
        source=Appointment.Source.STAFF,
    )
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    response = desk.post(
        f"/portal/staff/registrations/{account.pk}/merge/", {"patient": str(existing.pk)}, follow=True
    )
    assert "already has appointments or forms" in response.content.decode()
    account.refresh_from_db()
    assert account.patient_id != existing.pk and account.awaiting_review
