from typing import Any

from django.test import Client

from tenants.models import Practice
from tenants.services import suspend_practice
from tests.conftest import PUBLIC_HOST, host_of, signed_in_client, staff
from tests.factories import PatientFactory


def test_public_site_serves_home_and_pricing(db: None) -> None:
    client = Client(HTTP_HOST=PUBLIC_HOST)
    assert client.get("/").status_code == 200
    pricing = client.get("/pricing/")
    assert pricing.status_code == 200
    assert b"Group" in pricing.content


def test_unknown_host_gets_a_clear_404_page(db: None) -> None:
    response = Client(HTTP_HOST="nobody.practica.test").get("/")
    assert response.status_code == 404
    assert b"No practice at this address" in response.content


def test_practice_host_routes_to_its_practice(practice_a: Practice) -> None:
    client = signed_in_client(staff(practice_a), practice_a)
    response = client.get("/")
    assert response.status_code == 200
    assert practice_a.name.encode() in response.content


def test_anonymous_visitor_is_sent_to_sign_in(practice_a: Practice) -> None:
    response = Client(HTTP_HOST=host_of(practice_a)).get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_suspended_practice_shows_a_notice_and_no_data(practice_a: Practice, in_practice: Any) -> None:
    owner = staff(practice_a)
    with in_practice(practice_a):
        patient = PatientFactory.create(last_name="Zebediah")
    suspend_practice(practice_a)
    client = signed_in_client(owner, practice_a)
    for path in ("/", "/patients/", f"/patients/{patient.pk}/", "/api/v1/patients/"):
        response = client.get(path)
        assert response.status_code == 403
        assert b"is suspended" in response.content
        assert b"Zebediah" not in response.content
