"""A patient sees only their own appointments, only at their own practice; staff and patient
sessions grant each other nothing."""

import datetime

from django.test import Client
from django_tenants.utils import tenant_context

from portal.models import PortalAccount
from portal.sessions import ACCOUNT_KEY
from practica.accounts.roles import Role
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import Clinic
from tests.portal.conftest import PATIENT_PASSWORD, make_account, portal_client


def test_a_patient_never_sees_another_patients_appointment(clinic: Clinic, practice_a: Practice) -> None:
    mine = make_account("mine@example.org")
    theirs = make_account("theirs@example.org")
    other = book_appointment(
        patient=theirs.patient,
        appointment_type=clinic.visit,
        provider=clinic.provider,
        location=clinic.location,
        start=clinic.local(3, 9),
        source=Appointment.Source.STAFF,
    ).appointment
    client = portal_client(mine, practice_a)
    base = f"/portal/appointments/{other.pk}/"
    for path in (base, base + "calendar.ics", base + "cancel/", base + "reschedule/"):
        assert client.get(path).status_code == 404, path
    assert client.post(base + "cancel/").status_code == 404
    confirm = (
        base + "reschedule/confirm/?" + f"provider={clinic.provider.pk}&start=2030-01-01T10:00:00%2B00:00"
    )
    assert client.post(confirm).status_code == 404
    other.refresh_from_db()
    assert other.status == Appointment.Status.BOOKED
    assert str(other.pk) not in client.get("/portal/").content.decode()
    # The owner does see it.
    assert portal_client(theirs, practice_a).get(base).status_code == 200


def test_an_account_of_practice_a_cannot_sign_in_at_practice_b(
    practice_a: Practice, practice_b: Practice
) -> None:
    with tenant_context(practice_a):
        make_account("onlya@example.org")
    client = Client(HTTP_HOST=host_of(practice_b))
    response = client.post("/portal/login/", {"email": "onlya@example.org", "password": PATIENT_PASSWORD})
    assert response.status_code == 200
    assert "do not match a portal account" in response.content.decode()


def test_a_portal_session_of_practice_a_is_worthless_on_practice_b(
    practice_a: Practice, practice_b: Practice
) -> None:
    with tenant_context(practice_a):
        account = make_account("travel@example.org")
    client = portal_client(account, practice_a)
    assert client.get("/portal/").status_code == 200
    # The same session cookie presented on practice B's host.
    cookie = client.cookies["sessionid"].value
    other = Client(HTTP_HOST=host_of(practice_b))
    other.cookies["sessionid"] = cookie
    response = other.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")
    # Even when B has an account with the very same id, nothing leaks (the session names A's schema).
    with tenant_context(practice_b):
        twin = make_account("twin@example.org")
        PortalAccount.objects.filter(pk=twin.pk).update(id=account.pk)
    assert other.get("/portal/").status_code == 302


def test_staff_session_gives_no_portal_access(practice_a: Practice) -> None:
    owner = staff(practice_a, Role.OWNER)
    client = signed_in_client(owner, practice_a)
    assert client.get("/").status_code == 200  # a working staff session
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")


def test_staff_session_with_a_planted_portal_key_still_gives_no_portal_access(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("mixed@example.org")
    client = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    session = client.session
    session[ACCOUNT_KEY] = str(account.pk)
    session.save()
    assert client.get("/portal/").status_code == 302


def test_patient_session_gives_no_staff_access(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("notstaff@example.org")
    client = portal_client(account, practice_a)
    for path in ("/", "/patients/", "/setup/", "/api/v1/"):
        response = client.get(path)
        assert response.status_code in (302, 401, 403, 404), (path, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), path


def test_signing_in_to_the_portal_ends_a_staff_login_in_the_same_browser(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        make_account("both@example.org")
    client = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    response = client.post("/portal/login/", {"email": "both@example.org", "password": PATIENT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200
    assert client.get("/patients/").status_code == 302  # the staff login is gone


def test_appointment_ids_are_not_guessable(clinic: Clinic, practice_a: Practice) -> None:
    account = make_account("guess@example.org")
    client = portal_client(account, practice_a)
    assert client.get("/portal/appointments/1/").status_code == 404
    assert client.get(f"/portal/appointments/{datetime.date.today()}/").status_code == 404
