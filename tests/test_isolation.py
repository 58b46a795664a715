"""Tenant isolation: nobody at practice A can reach, or even see the existence of, B's rows.

Every page and endpoint in tests/surface.py answers 404 for B's ids, and no list shows B's rows,
for A's staff, for a billing company the moment B revokes its access, and for a session of A
carried to B's host.
"""

import re
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.utils import timezone

from practica.accounts.models import BillingCompanyAccess
from practica.accounts.roles import Role
from practica.accounts.services import grant_billing_company, revoke_billing_company
from practica.core.tenancy import use_public_schema, use_schema_of
from tenants.models import Practice
from tests.conftest import host_of, planted_once_per_module, signed_in_client, staff
from tests.factories import BillingCompanyMemberFactory, LocationFactory, PatientFactory
from tests.surface import (
    B_MARKERS,
    LIST_URLS,
    OBJECT_URLS,
    PORTAL_OBJECT_URLS,
    SIGNED_LINK_URLS,
    ListUrl,
    ObjectUrl,
    plant_rows,
)

# Bodies good enough to pass validation, so a 404 is never a form error in disguise.
WRITE_BODIES: dict[str, dict[str, Any]] = {
    "/patients/{patient}/edit/": {"first_name": "X", "last_name": "Y", "date_of_birth": "1990-01-01"},
    "/setup/locations/{location}/": {"name": "Taken over", "time_zone": "UTC"},
    "/setup/providers/{provider}/": {"display_name": "Taken over", "npi": "1234567893"},
    "/staff/{staff}/": {"action": "deactivate"},
    "/api/v1/patients/{patient}/": {"last_name": "Taken over"},
    "/api/v1/locations/{location}/": {"name": "Taken over"},
    "/api/v1/providers/{provider}/": {"display_name": "Taken over"},
    "/claims/encounters/{encounter}/": {"action": "add_diagnosis", "code": "I10"},
    "/claims/{claim}/status/": {"to": "draft"},
    "/claims/setup/payers/{payer}/": {
        "name": "Taken over",
        "claim_filing_indicator": "CI",
        "timely_filing_days": 9,
    },
    "/claims/setup/procedures/{procedure}/": {
        "code": "99213",
        "kind": "cpt",
        "label": "Taken",
        "default_fee": "1",
    },
    "/claims/setup/fees/{fee_schedule}/": {"name": "Taken over", "effective_from": "2026-01-01"},
    "/claims/setup/scrub-rules/{scrub_rule}/": {
        "name": "Taken over",
        "field": "claim.line_count",
        "operator": "gt",
        "value": "3",
        "message": "Taken over",
        "severity": "warning",
        "enabled": "on",
    },
}


def request(client: Client, url: ObjectUrl, ids: dict[str, str]) -> Any:
    path = url.path.format(**ids)
    body = WRITE_BODIES.get(url.path, {})
    if url.method == "get":
        return client.get(path)
    if url.method == "patch":
        return client.patch(path, body, content_type="application/json")
    if url.method == "delete":
        return client.delete(path)
    return client.post(path, body)


def assert_not_found_and_silent(response: Any) -> None:
    assert response.status_code == 404, response.content[:300]
    for marker in B_MARKERS.values():
        assert marker.encode() not in response.content


def plant_b_rows() -> dict[str, str]:
    return plant_rows(Practice.objects.get(slug="beta"), above=Practice.objects.get(slug="alpha"))


# Planting B's rows takes about 0.2 s and some 280 tests use them: they are planted once for the
# module, and each test's changes to them roll back with the test.
b_ids = planted_once_per_module(plant_b_rows)


def b_rows_unchanged(practice_b: Practice) -> None:
    from practica.patients.models import Patient
    from practica.scheduling.models import Location, Provider

    use_schema_of(practice_b)
    assert Patient.objects.filter(last_name=B_MARKERS["patient"]).exists()
    assert Location.objects.filter(name=B_MARKERS["location"]).exists()
    assert Provider.objects.filter(display_name=B_MARKERS["provider"]).exists()
    from practica.claims.models import Claim, ClaimStatus, EncounterDiagnosis, FeeSchedule, ProcedureCode
    from practica.insurance.models import Payer

    assert EncounterDiagnosis.objects.filter(code="I10").count() == 2
    assert Claim.objects.filter(status=ClaimStatus.READY).count() == 1
    assert Payer.objects.filter(name=B_MARKERS["payer"]).exists()
    assert FeeSchedule.objects.filter(name="Fees").exists()
    assert ProcedureCode.objects.filter(code="99213", label="Procedure 99213").exists()
    use_public_schema()
    from practica.accounts.models import Membership

    assert Membership.objects.filter(
        practice=practice_b, user__full_name=B_MARKERS["staff"], is_active=True
    ).exists()


# ---- staff of A, on A's host, guessing B's ids --------------------------------------------------


@pytest.mark.parametrize("url", OBJECT_URLS, ids=str)
def test_owner_of_a_gets_404_for_every_object_of_b(
    url: ObjectUrl, practice_a: Practice, practice_b: Practice, b_ids: dict[str, str]
) -> None:
    client = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    assert_not_found_and_silent(request(client, url, b_ids))
    b_rows_unchanged(practice_b)


@pytest.mark.parametrize("url", LIST_URLS, ids=str)
def test_lists_of_a_never_show_rows_of_b(
    url: ListUrl, practice_a: Practice, practice_b: Practice, b_ids: dict[str, str]
) -> None:
    client = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    response = client.get(url.path)
    assert response.status_code == 200
    assert B_MARKERS[url.marker].encode() not in response.content
    if url.marker == "audit" and url.path.startswith("/api/"):
        assert str(b_ids["audit"]) not in [str(row["id"]) for row in response.json()["results"]]


def test_the_same_lists_do_show_b_its_own_rows(practice_b: Practice, b_ids: dict[str, str]) -> None:
    """The control for the test above: the markers are really there to be found."""
    client = signed_in_client(staff(practice_b, Role.OWNER), practice_b)
    for url in LIST_URLS:
        response = client.get(url.path)
        assert response.status_code == 200
        assert B_MARKERS[url.marker].encode() in response.content, url


def test_the_object_urls_do_reach_b_its_own_rows(practice_b: Practice, b_ids: dict[str, str]) -> None:
    client = signed_in_client(staff(practice_b, Role.OWNER), practice_b)
    for url in OBJECT_URLS:
        if url.method == "get" and url.control:
            assert client.get(url.path.format(**b_ids)).status_code == 200, url


# ---- a billing company, the moment B revokes its access -------------------------------------------


@pytest.fixture
def revoked_company_client(practice_b: Practice, b_ids: dict[str, str]) -> Client:
    member = BillingCompanyMemberFactory.create()
    grant_billing_company(practice=practice_b, company=member.company, role=Role.BILLER, granted_by=None)
    client = signed_in_client(member.user, practice_b)
    # Access works before the revocation, in this very session...
    assert client.get(f"/patients/{b_ids['patient']}/").status_code == 200
    revoke_billing_company(practice=practice_b, company=member.company)
    return client


@pytest.mark.parametrize("url", OBJECT_URLS, ids=str)
def test_revoked_billing_company_gets_404_for_every_object_at_once(
    url: ObjectUrl, revoked_company_client: Client, practice_b: Practice, b_ids: dict[str, str]
) -> None:
    assert_not_found_and_silent(request(revoked_company_client, url, b_ids))
    b_rows_unchanged(practice_b)


@pytest.mark.parametrize("url", LIST_URLS, ids=str)
def test_revoked_billing_company_gets_404_for_every_list_at_once(
    url: ListUrl, revoked_company_client: Client
) -> None:
    assert_not_found_and_silent(revoked_company_client.get(url.path))


def test_billing_company_granted_a_only_gets_404_for_b(
    practice_a: Practice, practice_b: Practice, b_ids: dict[str, str]
) -> None:
    member = BillingCompanyMemberFactory.create()
    grant_billing_company(practice=practice_a, company=member.company, granted_by=None)
    client = signed_in_client(member.user, practice_a)
    assert client.get("/patients/").status_code == 200
    made_up = {kind: str(uuid.uuid4()) for kind in b_ids} | {"audit": "987654321", "staff": "987654321"}
    for url in OBJECT_URLS:
        response = request(client, url, b_ids)
        # A biller may be refused a page by role (403) before any lookup: then the answer must be
        # exactly the one for an id that exists nowhere, so it reveals nothing about B.
        assert response.status_code == request(client, url, made_up).status_code, url
        assert response.status_code in (403, 404), url
        for marker in B_MARKERS.values():
            assert marker.encode() not in response.content
    b_rows_unchanged(practice_b)


def test_a_revoked_grant_stays_as_history(practice_b: Practice) -> None:
    member = BillingCompanyMemberFactory.create()
    grant_billing_company(practice=practice_b, company=member.company, granted_by=None)
    revoke_billing_company(practice=practice_b, company=member.company)
    access = BillingCompanyAccess.objects.get(company=member.company, practice=practice_b)
    assert access.revoked_at is not None and access.revoked_at <= timezone.now()


# ---- a session of A taken to B's host --------------------------------------------------------------


def test_a_session_of_a_is_worth_nothing_on_bs_host(
    practice_a: Practice, practice_b: Practice, b_ids: dict[str, str]
) -> None:
    # Someone who works at both practices, signed in at A, replays A's session cookie on B's host.
    person = staff(practice_a, Role.OWNER)
    from practica.accounts.models import Membership

    Membership.objects.create(user=person, practice=practice_b, role=Role.OWNER)
    client = signed_in_client(person, practice_a)
    client.defaults["HTTP_HOST"] = host_of(practice_b)
    for url in [*OBJECT_URLS, ObjectUrl("/"), ObjectUrl("/patients/")]:
        assert_not_found_and_silent(request(client, url, b_ids))


# ---- a patient of A, in A's portal, guessing B's ids ----------------------------------------------


@pytest.mark.parametrize("url", PORTAL_OBJECT_URLS, ids=str)
def test_a_patient_of_a_gets_404_for_every_object_of_b(
    url: ObjectUrl, practice_a: Practice, practice_b: Practice, b_ids: dict[str, str]
) -> None:
    from tests.portal.conftest import make_account, portal_client

    use_schema_of(practice_a)
    account = make_account("guesser@example.org")
    use_public_schema()
    assert_not_found_and_silent(request(portal_client(account, practice_a), url, b_ids))
    b_rows_unchanged(practice_b)


def test_the_portal_object_urls_do_reach_bs_patient(practice_b: Practice, b_ids: dict[str, str]) -> None:
    from portal.models import PortalAccount
    from tests.portal.conftest import portal_client

    use_schema_of(practice_b)
    account = PortalAccount.objects.get(pk=b_ids["account"])
    use_public_schema()
    client = portal_client(account, practice_b)
    for url in PORTAL_OBJECT_URLS:
        if url.method == "get" and url.control:
            assert client.get(url.path.format(**b_ids)).status_code == 200, url


@pytest.mark.parametrize("url", SIGNED_LINK_URLS, ids=str)
def test_signed_links_with_bs_ids_say_no_more_than_for_made_up_ids(
    url: ObjectUrl, practice_a: Practice, b_ids: dict[str, str]
) -> None:
    client = Client(HTTP_HOST=host_of(practice_a))
    made_up = {kind: str(uuid.uuid4()) for kind in b_ids}
    with_b, without = request(client, url, b_ids), request(client, url, made_up)
    assert with_b.status_code == without.status_code and with_b.status_code in (400, 404, 410)
    for marker in B_MARKERS.values():
        assert marker.encode() not in with_b.content


# ---- every route with an id is in the sweep ---------------------------------------------------------


ID_KWARG = re.compile(r"(^|_)(id|pk|uuid)$")


def routes_with_ids(urlconf: str) -> list[str]:
    """Every route of `urlconf` (includes followed) with a keyword naming an object's id."""
    found = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = URLResolver._join_route(prefix, str(pattern.pattern))  # type: ignore[attr-defined]
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif any(ID_KWARG.search(name) for name in pattern.pattern.regex.groupindex):
                found.append(route)

    walk(get_resolver(urlconf).url_patterns, "")
    return found


def swept_routes(urlconf: str) -> set[str]:
    """The routes the sweep's paths resolve to (ids filled in with well-formed stand-ins)."""
    stand_ins = {"audit": "1", "staff": "1", "receipt": "1"}
    swept = set()
    for url in [*OBJECT_URLS, *PORTAL_OBJECT_URLS, *SIGNED_LINK_URLS]:
        path = re.sub(r"\{(\w+)\}", lambda m: stand_ins.get(m[1], str(uuid.UUID(int=1))), url.path)
        swept.add(resolve(path.split("?")[0], urlconf).route)
    return swept


def test_every_route_with_an_id_is_swept_across_practices() -> None:
    """A new page or endpoint taking an id fails here until its path is added to tests/surface.py
    (and so to the sweeps above). DRF's `.json` suffix variants are the same views as their
    plain routes."""
    urlconf = settings.ROOT_URLCONF
    swept = swept_routes(urlconf)
    suffix = re.compile(r"\\\.\(\?P<format>\[a-z0-9\]\+\)/\?\$$")
    routes = routes_with_ids(urlconf)
    assert len(routes) > 40
    missing = [route for route in routes if suffix.sub("/$", route) not in swept]
    assert not missing, "routes with an id that tests/surface.py does not list:\n" + "\n".join(missing)


# ---- the models themselves -----------------------------------------------------------------------


def tenant_models() -> list[Any]:
    tenant_only = {name for name in settings.TENANT_APPS if name not in settings.SHARED_APPS}
    return [
        model
        for config in apps.get_app_configs()
        if config.name in tenant_only
        for model in config.get_models()
    ]


def test_every_practice_model_has_its_table_in_each_practice_schema_and_not_in_public(
    practice_a: Practice, practice_b: Practice
) -> None:
    models = tenant_models()
    assert len(models) >= 10
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(
                "SELECT array_agg(table_schema::text ORDER BY table_schema) FROM information_schema.tables"
                " WHERE table_name = %s AND table_schema IN ('public', %s, %s)",
                [model._meta.db_table, practice_a.schema_name, practice_b.schema_name],
            )
            schemas = cursor.fetchone()[0]
            assert schemas == sorted([practice_a.schema_name, practice_b.schema_name]), model


def test_rows_written_in_a_are_invisible_in_b(practice_a: Practice, practice_b: Practice) -> None:
    from practica.audit.models import AuditEvent
    from practica.patients.models import Patient
    from practica.scheduling.models import Location

    use_schema_of(practice_a)
    patient = PatientFactory.create()
    location = LocationFactory.create()
    use_schema_of(practice_b)
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert not Location.objects.filter(pk=location.pk).exists()
    assert not AuditEvent.objects.filter(object_id=str(patient.pk)).exists()
    use_public_schema()


def test_b_ids_cannot_be_linked_to_a_records(practice_a: Practice, b_ids: dict[str, str]) -> None:
    """Guessed ids in a relation (a provider's locations) are refused like guessed URLs."""
    from practica.scheduling.models import Provider

    client = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    page = client.post(
        "/setup/providers/new/",
        {"display_name": "Dr Linker", "npi": "1245319599", "locations": [b_ids["location"]]},
    )
    assert page.status_code == 400 and b"Select a valid choice" in page.content
    api = client.post(
        "/api/v1/providers/",
        {"display_name": "Dr Linker", "npi": "1245319599", "locations": [b_ids["location"]]},
        content_type="application/json",
    )
    assert api.status_code == 400 and "locations" in api.json()["errors"]
    assert B_MARKERS["location"] not in api.content.decode()
    use_schema_of(practice_a)
    assert not Provider.objects.filter(display_name="Dr Linker").exists()
    use_public_schema()
