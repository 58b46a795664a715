"""The audit trail: who did what to which record, when and from where; every read of patient
data too; append-only in the database; readable by owners and managers only."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from practica.accounts.models import Membership, User
from practica.accounts.roles import Role
from practica.audit.context import Actor, current_actor
from practica.audit.models import AuditEvent
from practica.core.tenancy import use_public_schema, use_schema_of
from practica.patients.models import Patient
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import PatientFactory

IP = "203.0.113.7"
REQUEST_ID = "auditprobe0001"


@pytest.fixture
def owner(practice_a: Practice) -> User:
    return staff(practice_a, Role.OWNER, email="olive@alpha.example")


@pytest.fixture
def browser(owner: User, practice_a: Practice) -> Client:
    client = signed_in_client(owner, practice_a)
    client.defaults.update(REMOTE_ADDR=IP, HTTP_X_REQUEST_ID=REQUEST_ID, HTTP_USER_AGENT="AuditTest/1.0")
    return client


@pytest.fixture
def patient(practice_a: Practice) -> Iterator[Patient]:
    use_schema_of(practice_a)
    made = PatientFactory.create(first_name="Ruth", last_name="Audited", phone="555-0001")
    use_public_schema()
    yield made


def events_for(practice: Practice, **filters: Any) -> list[AuditEvent]:
    use_schema_of(practice)
    found = list(AuditEvent.objects.filter(**filters).order_by("id"))
    use_public_schema()
    return found


def assert_from_the_request(event: AuditEvent, owner: User, practice: Practice) -> None:
    assert event.actor_id == owner.pk
    assert event.actor_email == "olive@alpha.example"
    assert event.actor_role == Role.OWNER
    assert event.practice_schema == practice.schema_name
    assert event.ip_address == IP
    assert event.request_id == REQUEST_ID
    assert event.user_agent == "AuditTest/1.0"
    assert event.actor_kind == "staff" and event.actor_name == ""
    with connection.cursor() as cursor:  # the trail keeps the database's time
        cursor.execute("SELECT clock_timestamp()")
        assert abs((cursor.fetchone()[0] - event.at).total_seconds()) < 30


def test_creating_updating_and_deleting_a_patient_is_audited(
    practice_a: Practice, owner: User, browser: Client
) -> None:
    response = browser.post(
        "/patients/new/",
        {"first_name": "Nell", "last_name": "Newcomb", "date_of_birth": "1970-03-04", "sex": "F"},
    )
    assert response.status_code == 302
    assert response["X-Request-Id"] == REQUEST_ID
    (created,) = events_for(practice_a, action="create", object_type="patients.patient")
    assert_from_the_request(created, owner, practice_a)
    assert created.object_label == "Newcomb, Nell"
    patient_id = created.object_id

    browser.post(
        f"/patients/{patient_id}/edit/",
        {
            "first_name": "Nell",
            "last_name": "Newcomb",
            "date_of_birth": "1970-03-04",
            "sex": "F",
            "phone": "+15125550147",
        },
    )
    (updated,) = events_for(practice_a, action="update", object_id=patient_id)
    assert_from_the_request(updated, owner, practice_a)
    assert updated.changed_fields == ["phone"]  # not updated_at, not the unchanged fields

    # A save that changes nothing writes nothing.
    browser.post(
        f"/patients/{patient_id}/edit/",
        {
            "first_name": "Nell",
            "last_name": "Newcomb",
            "date_of_birth": "1970-03-04",
            "sex": "F",
            "phone": "+15125550147",
        },
    )
    assert len(events_for(practice_a, action="update", object_id=patient_id)) == 1

    use_schema_of(practice_a)
    token = current_actor.set(Actor(user_id=owner.pk, email=owner.email, role="owner", ip_address=IP))
    try:
        Patient.objects.get(pk=patient_id).delete()
    finally:
        current_actor.reset(token)
    use_public_schema()
    (deleted,) = events_for(practice_a, action="delete", object_id=patient_id)
    assert deleted.actor_id == owner.pk and deleted.object_label == "Newcomb, Nell"


@pytest.mark.parametrize(
    "path", ["/patients/{id}/", "/patients/{id}/edit/", "/api/v1/patients/{id}/"], ids=["page", "form", "api"]
)
def test_every_read_of_a_patient_is_audited(
    path: str, practice_a: Practice, owner: User, browser: Client, patient: Patient
) -> None:
    assert browser.get(path.format(id=patient.pk)).status_code == 200
    views = events_for(practice_a, action="view", object_id=str(patient.pk))
    (viewed,) = views
    assert_from_the_request(viewed, owner, practice_a)
    assert viewed.object_type == "patients.patient"


@pytest.mark.parametrize("path", ["/patients/?q=Audited", "/api/v1/patients/?q=Audited"], ids=["page", "api"])
def test_lists_record_a_read_of_each_patient_shown(
    path: str, practice_a: Practice, owner: User, browser: Client, patient: Patient
) -> None:
    use_schema_of(practice_a)
    other = PatientFactory.create(last_name="Auditedtoo")
    hidden = PatientFactory.create(last_name="Elsewhere")
    use_public_schema()
    assert browser.get(path).status_code == 200
    viewed = {event.object_id for event in events_for(practice_a, action="view")}
    assert viewed == {str(patient.pk), str(other.pk)}
    assert str(hidden.pk) not in viewed


def test_other_practice_records_and_staff_changes_are_audited(
    practice_a: Practice, owner: User, browser: Client
) -> None:
    browser.post("/api/v1/locations/", {"name": "Harbour"}, content_type="application/json")
    (location,) = events_for(practice_a, action="create", object_type="scheduling.location")
    assert_from_the_request(location, owner, practice_a)

    colleague = staff(practice_a, Role.FRONT_DESK)
    membership = Membership.objects.get(user=colleague, practice=practice_a)
    browser.post(f"/staff/{membership.pk}/", {"action": "role", "role": Role.BILLER})
    (changed,) = events_for(practice_a, action="update", object_type="accounts.membership")
    assert_from_the_request(changed, owner, practice_a)
    assert changed.changed_fields == ["role"]


def test_events_are_kept_in_the_practice_they_belong_to(
    practice_a: Practice, practice_b: Practice, browser: Client, patient: Patient
) -> None:
    browser.get(f"/patients/{patient.pk}/")
    assert events_for(practice_a, object_id=str(patient.pk), action="view")
    assert not events_for(practice_b, object_id=str(patient.pk))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET actor_email = 'someone-else@example.com'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
    ],
)
def test_the_database_refuses_to_change_or_remove_events(
    statement: str, practice_a: Practice, patient: Patient
) -> None:
    use_schema_of(practice_a)
    before = list(AuditEvent.objects.values_list("id", "actor_email"))
    assert before
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert list(AuditEvent.objects.values_list("id", "actor_email")) == before
    use_public_schema()


def test_the_orm_cannot_change_or_remove_events_either(practice_a: Practice, patient: Patient) -> None:
    use_schema_of(practice_a)
    event = AuditEvent.objects.filter(object_id=str(patient.pk)).first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="view")
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk, action="create").exists()
    use_public_schema()


def test_owner_and_manager_read_the_trail_others_may_not(practice_a: Practice, patient: Patient) -> None:
    for role in (Role.OWNER, Role.MANAGER):
        client = signed_in_client(staff(practice_a, role), practice_a)
        page = client.get("/audit/?type=patients.patient")
        assert page.status_code == 200 and b"Audited, Ruth" in page.content
        api = client.get("/api/v1/audit-events/")
        assert api.status_code == 200
        assert any(row["object_id"] == str(patient.pk) for row in api.json()["results"])
    for role in (Role.FRONT_DESK, Role.CLINICIAN, Role.BILLER):
        client = signed_in_client(staff(practice_a, role), practice_a)
        assert client.get("/audit/").status_code == 403
        assert client.get("/api/v1/audit-events/").status_code == 403
        assert b"Audited" not in client.get("/api/v1/audit-events/").content


def test_the_trail_cannot_be_written_through_the_api(
    practice_a: Practice, owner: User, browser: Client
) -> None:
    for method in ("post", "put", "patch", "delete"):
        response = getattr(browser, method)("/api/v1/audit-events/1/", {}, content_type="application/json")
        assert response.status_code == 405, method


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.9", IP),  # no proxy of ours: the header is the client's word, ignored
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # a forged first entry is skipped
        (2, "198.51.100.9, 10.0.0.2", "198.51.100.9"),
        (1, "not-an-address", IP),
        (2, "198.51.100.9", IP),  # fewer entries than proxies: do not trust it
    ],
)
def test_behind_proxies_the_visitors_address_is_recorded(
    proxies: int,
    forwarded: str,
    expected: str,
    practice_a: Practice,
    browser: Client,
    patient: Patient,
    settings: Any,
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    browser.get(f"/patients/{patient.pk}/", HTTP_X_FORWARDED_FOR=forwarded)
    (viewed,) = events_for(practice_a, action="view", object_id=str(patient.pk))
    assert viewed.ip_address == expected


def test_the_lockout_counts_the_visitors_address_behind_a_proxy(practice_a: Practice, settings: Any) -> None:
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXY_COUNT = 1
    person = staff(practice_a, Role.OWNER)
    browser = Client(HTTP_HOST=f"{practice_a.slug}.practica.test", REMOTE_ADDR="10.0.0.1")
    browser.post(
        "/login/", {"email": person.email, "password": "wrong-guess-1"}, HTTP_X_FORWARDED_FOR="198.51.100.4"
    )
    assert AccessAttempt.objects.get(username=person.email).ip_address == "198.51.100.4"


def test_changing_links_between_records_is_audited(
    practice_a: Practice, owner: User, browser: Client
) -> None:
    from practica.scheduling.models import Location, Provider
    from tests.factories import LocationFactory, ProviderFactory

    use_schema_of(practice_a)
    location = LocationFactory.create()
    provider = ProviderFactory.create()
    use_public_schema()
    response = browser.patch(
        f"/api/v1/providers/{provider.pk}/",
        {"locations": [str(location.pk)]},
        content_type="application/json",
    )
    assert response.status_code == 200
    (linked,) = events_for(practice_a, action="update", object_id=str(provider.pk))
    assert linked.changed_fields == ["locations"]
    assert_from_the_request(linked, owner, practice_a)
    use_schema_of(practice_a)
    assert list(Provider.objects.get(pk=provider.pk).locations.all()) == [
        Location.objects.get(pk=location.pk)
    ]
    use_public_schema()
