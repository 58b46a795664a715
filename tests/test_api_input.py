"""Bad input to the practice API and back office gets a clear 4xx, never a 500; hot lists cost a
fixed number of queries however many patients a page shows."""

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practica.accounts.roles import Role
from practica.core.tenancy import use_public_schema, use_schema_of
from practica.patients.models import Patient
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import PatientFactory


def test_a_future_date_of_birth_is_refused_by_the_api_and_the_form(practice_a: Practice) -> None:
    client = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    # Read when the test runs, not when the file was collected (which may be the day before).
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    body = {"first_name": "Tom", "last_name": "Morrow", "date_of_birth": tomorrow}
    api = client.post("/api/v1/patients/", body, content_type="application/json")
    assert api.status_code == 400
    assert api.json() == {
        "code": "invalid_date_of_birth",
        "message": "Date of birth cannot be in the future.",
        "field": "date_of_birth",
        "errors": {"date_of_birth": ["Date of birth cannot be in the future."]},
    }
    form = client.post("/patients/new/", {**body, "sex": "U"})
    assert form.status_code == 200 and b"Date of birth cannot be in the future." in form.content
    old = client.post(
        "/api/v1/patients/", {**body, "date_of_birth": "1850-01-01"}, content_type="application/json"
    )
    assert old.status_code == 400 and "before 1900" in old.json()["message"]
    use_schema_of(practice_a)
    assert not Patient.objects.filter(last_name="Morrow").exists()
    use_public_schema()


def assert_api_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["message"], body
    return body


def test_malformed_requests_get_400_or_404(practice_a: Practice) -> None:
    client = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    assert_api_error(client.get("/api/v1/patients/not-a-uuid/"), 404, "not_found")
    assert_api_error(client.get("/api/v1/staff/not-a-number/"), 404, "not_found")
    assert_api_error(client.get("/api/v1/audit-events/99999999999999999999/"), 404, "not_found")
    broken = client.post("/api/v1/patients/", "{not json", content_type="application/json")
    assert "JSON parse error" in assert_api_error(broken, 400, "parse_error")["message"]
    missing = client.post("/api/v1/patients/", {}, content_type="application/json")
    errors = assert_api_error(missing, 400, "invalid")["errors"]
    assert set(errors) == {"first_name", "last_name", "date_of_birth"}
    bad_location = client.post(
        "/api/v1/locations/", {"name": "X", "time_zone": "Mars/Olympus"}, content_type="application/json"
    )
    assert "time_zone" in assert_api_error(bad_location, 400, "invalid")["errors"]
    assert client.get("/patients/?page=banana").status_code == 200
    paged = client.get("/api/v1/patients/?limit=-5&offset=abc")
    assert set(assert_api_error(paged, 400, "invalid")["errors"]) == {"limit"}
    for query in ("limit=0", "limit=201", "offset=-1", "offset=null", "limit=1.5"):
        assert_api_error(client.get(f"/api/v1/patients/?{query}"), 400, "invalid")
    assert client.get("/api/v1/patients/?limit=200&offset=0").status_code == 200


def test_every_api_error_is_json_in_one_shape(practice_a: Practice) -> None:
    """Whoever answers (DRF, or Django before DRF is reached), a 4xx under /api/ is
    `{code, message}` in JSON: parse errors, wrong media types, routes and methods that do not
    exist, a client that will not take JSON, and requests that are not signed in."""
    client = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    multipart = client.post("/api/v1/patients/", {"first_name": "Form"})  # multipart/form-data
    assert_api_error(multipart, 415, "unsupported_media_type")
    torn = client.post(
        "/api/v1/patients/", b"--x\r\nContent-Disp", content_type="multipart/form-data; boundary=x"
    )
    assert_api_error(torn, 415, "unsupported_media_type")
    assert_api_error(client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_api_error(client.get("/api/nothing"), 404, "not_found")
    deleted = assert_api_error(client.delete("/api/v1/locations/"), 405, "method_not_allowed")
    assert deleted == {"code": "method_not_allowed", "message": 'Method "DELETE" not allowed.'}
    assert "POST" in client.delete("/api/v1/locations/")["Allow"]
    assert_api_error(client.get("/api/v1/patients/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")
    assert_api_error(client.get("/api/v1/patients/?q=%00"), 400, "bad_request")
    anonymous = Client(HTTP_HOST=host_of(practice_a)).get("/api/v1/patients/")
    assert_api_error(anonymous, 401, "not_authenticated")
    assert anonymous["WWW-Authenticate"]
    # Signed in at B: A's API neither answers nor admits there is anything there.
    stranger = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    stranger.defaults["HTTP_HOST"] = host_of(Practice.objects.get(slug="beta"))
    assert_api_error(stranger.get("/api/v1/patients/"), 404, "not_found")


def test_a_client_cannot_pull_more_than_200_patients_at_once(practice_a: Practice) -> None:
    use_schema_of(practice_a)
    Patient.objects.bulk_create(
        Patient(first_name="Bulk", last_name=f"Row{n:03d}", date_of_birth=datetime.date(1990, 1, 1))
        for n in range(205)
    )
    use_public_schema()
    client = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    assert client.get("/api/v1/patients/?limit=100000").status_code == 400
    page = client.get("/api/v1/patients/?limit=200").json()
    assert page["count"] == 205 and len(page["results"]) == 200
    assert len(client.get("/api/v1/patients/").json()["results"]) == 50


def api_queries(client: object, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200  # type: ignore[attr-defined]
    return len([q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")])


def test_patient_lists_cost_the_same_for_3_or_50_patients(practice_a: Practice) -> None:
    client = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    use_schema_of(practice_a)
    PatientFactory.create_batch(3)
    use_public_schema()
    small = [api_queries(client, path) for path in ("/api/v1/patients/", "/patients/")]
    use_schema_of(practice_a)
    PatientFactory.create_batch(47)
    use_public_schema()
    large = [api_queries(client, path) for path in ("/api/v1/patients/", "/patients/")]
    assert small == large
    # Host, session, user, membership, count, page, the read audit of the whole page (one INSERT),
    # and the session save (savepoint, update, release).
    assert small == [10, 10]


def test_a_suspended_practice_answers_the_api_in_json(practice_a: Practice) -> None:
    from tenants.services import suspend_practice

    client = signed_in_client(staff(practice_a), practice_a)
    suspend_practice(practice_a)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 403
    assert response.json() == {"code": "practice_suspended", "message": "Alpha Clinic is suspended."}


GARBAGE_POSTS = [
    ("/staff/", {"email": "not-an-email", "role": "emperor"}),
    ("/staff/{member}/", {"action": "role", "role": ""}),
    ("/staff/{member}/", {"action": "explode"}),
    ("/settings/security/", {"action": "grant", "company": "", "role": "owner"}),
    ("/settings/security/", {"action": "security", "require_staff_two_factor": "maybe"}),
    ("/patients/new/", {"first_name": "x" * 500, "date_of_birth": "31/31/31", "sex": "Q"}),
    ("/setup/locations/new/", {"name": "", "time_zone": "Nowhere/Else"}),
    ("/setup/providers/new/", {"display_name": "Dr", "npi": "123", "locations": ["not-a-uuid"]}),
    ("/login/", {"email": "\x00", "password": ""}),
    ("/login/verify/", {"token": "abcdef"}),
    ("/login/forgot/", {"email": "\x00" * 300}),
    ("/login/reset/99999999999999999999/x/", {"password": "\x00", "password_again": ""}),
    ("/account/two-factor/", {"token": "x"}),
    ("/staff/join/garbage/", {"full_name": "", "password": ""}),
    ("/logout/", {}),
]
GARBAGE_GETS = [
    "/audit/?page=zz&type=" + "x" * 300 + "&actor=%00",
    "/patients/?q=" + "%25" * 200,
    "/handoff/?t=garbage",
    "/handoff/",
    "/go/no-such-practice/",
    "/switch/?page=-1&q=%00",
    "/api/v1/audit-events/?limit=zz",
    "/api/v1/patients/?q=%00",
]


@pytest.mark.parametrize(("path", "data"), GARBAGE_POSTS, ids=[p for p, _ in GARBAGE_POSTS])
def test_garbage_posts_never_cause_a_server_error(
    practice_a: Practice, path: str, data: dict[str, Any]
) -> None:
    from practica.accounts.models import Membership

    owner = staff(practice_a, Role.OWNER)
    member = Membership.objects.get(user=staff(practice_a, Role.CLINICIAN), practice=practice_a)
    response = signed_in_client(owner, practice_a).post(path.format(member=member.pk), data)
    assert response.status_code < 500


@pytest.mark.parametrize("path", GARBAGE_GETS)
def test_garbage_queries_never_cause_a_server_error(practice_a: Practice, path: str) -> None:
    response = signed_in_client(staff(practice_a, Role.OWNER), practice_a).get(path)
    assert response.status_code < 500
    if "%00" in path:
        assert response.status_code == 400 and b"not allowed (NUL)" in response.content


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/signup/", {"plan": "abc", "subdomain": "\x00", "email": "a@b"}),
        ("/login/", {"email": "", "password": "x" * 5000}),
        ("/login/verify/", {"token": "123456"}),
        ("/login/forgot/", {"email": "not an address"}),
        ("/login/reset/1/garbage/", {"password": "x", "password_again": "y"}),
    ],
)
def test_garbage_on_the_public_site_never_causes_a_server_error(
    db: None, path: str, data: dict[str, Any]
) -> None:
    from django.test import Client

    from tests.conftest import PUBLIC_HOST

    assert Client(HTTP_HOST=PUBLIC_HOST).post(path, data).status_code < 500
