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


def test_host_names_match_whatever_their_case(practice_a: Practice) -> None:
    from tenants.models import Domain

    client = signed_in_client(staff(practice_a), practice_a)
    for host in ("ALPHA.Practica.TEST", "alpha.practica.test.", "Alpha.practica.test:8000"):
        client.defaults["HTTP_HOST"] = host
        response = client.get("/")
        assert response.status_code == 200, host
        assert practice_a.name.encode() in response.content
    # A custom domain typed in capitals is kept, and matched, in lower case.
    Domain.objects.create(domain="Portal.Alpha-Clinic.EXAMPLE", tenant=practice_a, is_primary=False)
    assert Domain.objects.filter(domain="portal.alpha-clinic.example").exists()
    assert Client(HTTP_HOST="PORTAL.alpha-clinic.example").get("/portal/login/").status_code == 200
    assert Client(HTTP_HOST="NOBODY.practica.test").get("/").status_code == 404


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
    # The owner can still sign in (to reach the data export); the sign-in page shows no data.
    login = Client(HTTP_HOST=host_of(practice_a)).get("/login/")
    assert login.status_code == 200 and b"Zebediah" not in login.content


def test_unknown_hosts_get_the_same_404_page_on_every_path(db: None) -> None:
    for host in ("nobody.practica.test", "alpha.practica.test.evil.example", "clinic.example.org"):
        for path in ("/", "/patients/", "/api/v1/patients/", "/login/", "/staff/join/abc/"):
            response = Client(HTTP_HOST=host).get(path)
            assert response.status_code == 404, (host, path)
            assert b"No practice at this address" in response.content
            assert b"Alpha Clinic" not in response.content and b"Beta Health" not in response.content


def test_the_public_site_has_no_practice_pages(db: None) -> None:
    client = Client(HTTP_HOST=PUBLIC_HOST)
    for path in ("/patients/", "/api/v1/patients/", "/staff/", "/audit/"):
        assert client.get(path).status_code == 404


def test_a_custom_domain_routes_to_its_practice(practice_a: Practice) -> None:
    from tenants.models import Domain

    Domain.objects.create(domain="portal.alpha-clinic.example", tenant=practice_a, is_primary=False)
    owner = staff(practice_a)
    client = Client(HTTP_HOST="portal.alpha-clinic.example")
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session["practica_schema"] = practice_a.schema_name
    session.save()
    response = client.get("/")
    assert response.status_code == 200
    assert b"Alpha Clinic" in response.content


def test_suspension_is_per_practice_and_lifts_on_activation(
    practice_a: Practice, practice_b: Practice, in_practice: Any
) -> None:
    from tenants.services import activate_practice

    owner_a, owner_b = staff(practice_a), staff(practice_b)
    suspend_practice(practice_a)
    client_a = signed_in_client(owner_a, practice_a)
    # (sign-in stays open so the owner can reach the data export: see the test above)
    for path in ("/staff/join/abc/", "/api/v1/me/", "/schedule/"):
        response = client_a.get(path)
        assert response.status_code == 403 and b"Alpha Clinic is suspended" in response.content
    assert Client(HTTP_HOST=host_of(practice_a)).get("/").status_code == 403  # anonymous too
    assert signed_in_client(owner_b, practice_b).get("/patients/").status_code == 200
    activate_practice(practice_a)
    assert client_a.get("/patients/").status_code == 200
    practice_a.refresh_from_db()
    assert practice_a.status == Practice.Status.ACTIVE and practice_a.activated_at is not None


def test_a_past_due_practice_works_with_a_banner(practice_a: Practice) -> None:
    from tenants.services import mark_past_due

    mark_past_due(practice_a)
    response = signed_in_client(staff(practice_a), practice_a).get("/patients/")
    assert response.status_code == 200
    assert b"Your subscription payment failed" in response.content
