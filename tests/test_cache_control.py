"""No cache keeps a copy of what a signed-in person was shown: every response to a staff, patient
or API session says `Cache-Control: private, no-store`."""

from django.test import Client
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import PatientFactory
from tests.portal.conftest import make_account, portal_client


def assert_not_stored(response: object) -> None:
    cache_control = response["Cache-Control"]  # type: ignore[index]
    assert "no-store" in cache_control and "private" in cache_control, cache_control


def test_staff_pages_and_the_api_are_never_stored(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        patient = PatientFactory.create()
    client = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    for path in (
        "/",
        "/patients/",
        f"/patients/{patient.pk}/",
        "/api/v1/patients/",
        f"/api/v1/patients/{patient.pk}/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_not_stored(response)
    # Refusals and errors to a signed-in person too (they may name what was asked for).
    assert_not_stored(client.get("/api/v1/patients/not-an-id/"))
    assert_not_stored(client.post("/api/v1/patients/", "{", content_type="application/json"))


def test_portal_pages_are_never_stored(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("cache@example.org")
    client = portal_client(account, practice_a)
    for path in ("/portal/", "/portal/profile/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_not_stored(response)


def test_pages_for_nobody_in_particular_may_be_cached(practice_a: Practice) -> None:
    anonymous = Client(HTTP_HOST=host_of(practice_a))
    response = anonymous.get("/portal/login/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
