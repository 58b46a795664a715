"""A guardian acts for a child's record in the portal through a staff-made proxy link."""

from urllib.parse import urlencode

from django_tenants.utils import tenant_context

from portal.models import ProxyLink
from practica.accounts.roles import Role
from practica.patients.models import Patient
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic, PatientFactory
from tests.portal.conftest import make_account, portal_client
from tests.portal.test_accessibility import check_page


def _book(clinic: Clinic, patient: Patient, days: int) -> Appointment:
    return book_appointment(
        patient=patient,
        appointment_type=clinic.visit,
        provider=clinic.provider,
        location=clinic.location,
        start=clinic.local(days, 9),
        source=Appointment.Source.STAFF,
    ).appointment


def test_guardian_sees_child_appointments_only_while_linked(clinic: Clinic, practice_a: Practice) -> None:
    guardian = make_account("parent@example.org")
    child = PatientFactory.create(first_name="Milo", last_name="Park")
    stranger = make_account("stranger@example.org")
    child_visit = _book(clinic, child, 3)
    stranger_visit = _book(clinic, stranger.patient, 4)
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)

    response = desk.post(f"/portal/staff/patients/{child.pk}/proxies/", {"email": "PARENT@example.org"})
    assert response.status_code == 302
    link = ProxyLink.objects.get(patient=child)
    assert link.account == guardian and link.kind == "proxy"
    assert "Park, Milo" in desk.get(f"/patients/{guardian.patient.pk}/").content.decode()
    assert guardian.email in desk.get(f"/patients/{child.pk}/").content.decode()

    client = portal_client(guardian, practice_a)
    assert "Milo" in client.get("/portal/profile/switch/").content.decode()
    # Before switching, the portal is the guardian's own record.
    assert client.get(f"/portal/appointments/{child_visit.pk}/").status_code == 404
    assert client.post(f"/portal/profile/switch/{child.pk}/").status_code == 302
    assert client.get(f"/portal/appointments/{child_visit.pk}/").status_code == 200
    assert str(child_visit.pk) in client.get("/portal/").content.decode()
    # Never anyone else's, and no switching to a patient without a link.
    assert client.get(f"/portal/appointments/{stranger_visit.pk}/").status_code == 404
    assert client.post(f"/portal/profile/switch/{stranger.patient.pk}/").status_code == 404
    # The child's record stays its own: the guardian's profile page edits the child's details.
    assert "Milo" in client.get("/portal/profile/").content.decode()
    child.refresh_from_db()
    assert not hasattr(child, "portal_account") or child.portal_account is None

    response = desk.post(f"/portal/staff/patients/{child.pk}/proxies/{link.pk}/remove/")
    assert response.status_code == 302
    assert not ProxyLink.objects.filter(pk=link.pk).exists()
    # Access ends on the very next request, in the same session.
    assert client.get(f"/portal/appointments/{child_visit.pk}/").status_code == 404
    assert str(child_visit.pk) not in client.get("/portal/").content.decode()
    # Back to "me".
    assert client.post(f"/portal/profile/switch/{guardian.patient.pk}/").status_code == 302


def test_only_edit_patients_links_and_practice_b_gets_404(
    clinic: Clinic, practice_a: Practice, practice_b: Practice
) -> None:
    make_account("guardian2@example.org")
    child = PatientFactory.create()
    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    assert (
        biller.post(
            f"/portal/staff/patients/{child.pk}/proxies/", {"email": "guardian2@example.org"}
        ).status_code
        == 403
    )
    assert not ProxyLink.objects.exists()
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    response = desk.post(
        f"/portal/staff/patients/{child.pk}/proxies/", {"email": "nobody@example.org"}, follow=True
    )
    assert "No portal account at this practice has that email address." in response.content.decode()
    assert not ProxyLink.objects.exists()
    with tenant_context(practice_b):
        other = signed_in_client(staff(practice_b, Role.OWNER), practice_b)
    response = other.post(f"/portal/staff/patients/{child.pk}/proxies/", {"email": "guardian2@example.org"})
    assert response.status_code == 404
    with tenant_context(practice_a):
        assert not ProxyLink.objects.exists()


def test_guardian_books_for_the_chosen_child(clinic: Clinic, practice_a: Practice) -> None:
    guardian = make_account("booker@example.org")
    child = PatientFactory.create(first_name="Ivy")
    ProxyLink.objects.create(account=guardian, patient=child)
    client = portal_client(guardian, practice_a)
    client.post(f"/portal/profile/switch/{child.pk}/")
    start = clinic.local(2, 10)
    query = urlencode(
        {
            "type": clinic.visit.pk,
            "location": clinic.location.pk,
            "provider": clinic.provider.pk,
            "start": start.isoformat(),
        }
    )
    response = client.post(f"/portal/book/confirm/?{query}")
    assert response.status_code == 302
    booked = Appointment.objects.get(start=start)
    assert booked.patient_id == child.pk  # the child's record, not the guardian's
    assert not Appointment.objects.filter(patient=guardian.patient).exists()


def test_profile_pages_have_labelled_controls(clinic: Clinic, practice_a: Practice) -> None:
    guardian = make_account("labels@example.org")
    ProxyLink.objects.create(account=guardian, patient=PatientFactory.create())
    client = portal_client(guardian, practice_a)
    for path in ("/portal/profile/", "/portal/profile/insurance/", "/portal/profile/switch/"):
        response = client.get(path)
        assert response.status_code == 200, path
        check_page(response.content.decode())
    assert "/portal/profile/switch/" in client.get("/portal/").content.decode()
