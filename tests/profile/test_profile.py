"""The patient's profile and insurance in the portal, and the same on the back-office page."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import TestCase
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.insurance.models import Coverage
from practica.insurance.services import save_coverage
from practica.patients.models import PatientProfile
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic
from tests.portal.conftest import make_account, portal_client
from tests.profile.conftest import PDF_BYTES, PNG_BYTES

PROFILE_POST = {
    "first_name": "Rosa",
    "last_name": "Vega",
    "date_of_birth": "1984-02-03",
    "sex": "F",
    "address_line1": "12 Oak St",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
    "phone": "(512) 555-0147",
    "email": "rosa@example.org",
    "preferred_language": "es",
    "sms_consent": "on",
    "emergency_name": "Luis Vega",
    "emergency_relation": "Brother",
    "emergency_phone": "+44 20 7946 0958",
}
INSURANCE_POST = {
    "payer": "Blue Shield",
    "member_id": "XZ123456",
    "group_number": "G-77",
    "subscriber_name": "Rosa Vega",
    "subscriber_relationship": "self",
}
COVERAGE_DATA = {"payer_name": "Blue Shield", "member_id": "XZ123456", "relationship": "18"}


def test_patient_saves_profile_with_phones_in_e164(clinic: Clinic, practice_a: Practice) -> None:
    account = make_account("rosa@example.org")
    client = portal_client(account, practice_a)
    assert client.get("/portal/profile/").status_code == 200
    response = client.post("/portal/profile/", PROFILE_POST)
    assert response.status_code == 302
    account.patient.refresh_from_db()
    assert account.patient.phone == "+15125550147"
    profile = PatientProfile.objects.get(patient=account.patient)
    assert profile.emergency_phone == "+442079460958"
    assert profile.preferred_language == "es"
    assert profile.sms_consent is True and profile.email_consent is False
    assert profile.city == "Austin"


def test_bad_profile_input_gives_field_errors(clinic: Clinic, practice_a: Practice) -> None:
    account = make_account("bad@example.org")
    client = portal_client(account, practice_a)
    bad = {**PROFILE_POST, "phone": "12", "date_of_birth": "2999-01-01"}
    response = client.post("/portal/profile/", bad)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"phone", "date_of_birth"}  # the patient service's rules, all at once
    assert 'aria-invalid="true"' in response.content.decode()
    response = client.post("/portal/profile/", {**PROFILE_POST, "preferred_language": "fr"})
    assert response.status_code == 400 and "preferred_language" in response.context["form"].errors
    consent_without_phone = {**PROFILE_POST, "phone": ""}
    response = client.post("/portal/profile/", consent_without_phone)
    assert "phone" in response.context["form"].errors
    assert not PatientProfile.objects.filter(patient=account.patient).exists()


def test_insurance_cards_are_content_checked_and_served_only_to_their_patient(
    clinic: Clinic, practice_a: Practice
) -> None:
    account = make_account("ins@example.org")
    other = make_account("other@example.org")
    client = portal_client(account, practice_a)
    disguised = SimpleUploadedFile("card.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = client.post("/portal/profile/insurance/", {**INSURANCE_POST, "card_front": disguised})
    assert response.status_code == 400
    assert "Please upload a PDF, JPEG, PNG or HEIC file." in response.content.decode()
    assert not Coverage.objects.filter(patient=account.patient).exists()

    front = SimpleUploadedFile("front.png", PNG_BYTES, content_type="image/png")
    back = SimpleUploadedFile("back.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(
        "/portal/profile/insurance/", {**INSURANCE_POST, "card_front": front, "card_back": back}
    )
    assert response.status_code == 302
    insurance = Coverage.objects.get(patient=account.patient)
    assert insurance.card_front_content_type == "image/png"
    assert insurance.card_back_content_type == "application/pdf"
    assert str(insurance.card_front.name).startswith(f"insurance-cards/{account.patient.pk}/")

    served = client.get("/portal/profile/insurance/front/")
    assert served.status_code == 200
    assert served.content == PNG_BYTES
    assert served["Content-Type"] == "image/png"
    assert "attachment" in served["Content-Disposition"]
    # Another patient has no card; they never get this one.
    assert portal_client(other, practice_a).get("/portal/profile/insurance/front/").status_code == 404
    # Missing required insurance fields are form errors.
    response = client.post("/portal/profile/insurance/", {"payer": ""})
    assert response.status_code == 400
    assert {"payer", "member_id", "subscriber_name"} <= set(response.context["form"].errors)


def test_staff_edit_profile_and_insurance_audited_and_roles_enforced(
    clinic: Clinic, practice_a: Practice
) -> None:
    account = make_account("staffedit@example.org")
    patient = account.patient
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    response = desk.post(f"/patients/{patient.pk}/profile/", PROFILE_POST)
    assert response.status_code == 302
    assert PatientProfile.objects.get(patient=patient).emergency_phone == "+442079460958"
    front = SimpleUploadedFile("front.png", PNG_BYTES, content_type="image/png")
    response = desk.post(f"/patients/{patient.pk}/insurance/", {**INSURANCE_POST, "card_front": front})
    assert response.status_code == 302
    page = desk.get(f"/patients/{patient.pk}/").content.decode()
    assert "Blue Shield" in page and "Luis Vega" in page
    card = desk.get(f"/patients/{patient.pk}/insurance/front/")
    assert card.status_code == 200 and card.content == PNG_BYTES
    audited = set(AuditEvent.objects.filter(object_id__in=[str(patient.pk)]).values_list("action", flat=True))
    assert {"update", "view"} <= {str(a) for a in audited}
    assert AuditEvent.objects.filter(object_type="insurance.coverage", action="create").exists()
    # Bad staff input is a form error, not a save.
    response = desk.post(f"/patients/{patient.pk}/profile/", {**PROFILE_POST, "emergency_phone": "abc"})
    assert response.status_code == 400
    assert "emergency_phone" in response.context["form"].errors
    # A role without EDIT_PATIENTS cannot edit.
    billing = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    assert billing.post(f"/patients/{patient.pk}/profile/", PROFILE_POST).status_code == 403


def test_practice_b_staff_get_404_for_practice_a_patient(
    clinic: Clinic, practice_a: Practice, practice_b: Practice
) -> None:
    account = make_account("iso@example.org")
    Coverage.objects.create(patient=account.patient, unmapped_payer_name="P", member_id="M")
    patient_id = account.patient.pk
    with tenant_context(practice_b):
        other_owner = signed_in_client(staff(practice_b, Role.OWNER), practice_b)
    for path in (f"/patients/{patient_id}/profile/", f"/patients/{patient_id}/insurance/"):
        assert other_owner.get(path).status_code == 404, path
    assert other_owner.get(f"/patients/{patient_id}/insurance/front/").status_code == 404


def test_replacing_a_card_photo_deletes_the_old_file(clinic: Clinic, practice_a: Practice) -> None:
    account = make_account("replace@example.org")
    first = SimpleUploadedFile("a.png", PNG_BYTES, content_type="image/png")
    with transaction.atomic():
        insurance = save_coverage(account.patient, COVERAGE_DATA, card_front=first)
    old_name = str(insurance.card_front.name)
    storage = insurance.card_front.storage
    assert storage.exists(old_name)
    second = SimpleUploadedFile("b.pdf", PDF_BYTES, content_type="application/pdf")
    with TestCase.captureOnCommitCallbacks(execute=True):
        insurance = save_coverage(account.patient, COVERAGE_DATA, card_front=second)
    assert not storage.exists(old_name)
    assert insurance.card_front_content_type == "application/pdf"
