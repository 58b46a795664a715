"""Who the audit trail names, for every way into Practica: back office, portal and API over HTTP, a
billing company's user, both sides of a WebSocket, a Celery task and a management command; and
queryset updates, bulk inserts and deletes, which no save() signal ever saw, are audited too.

The events are written by the practice schema's triggers (practica.audit.database)."""

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import connection, connections, transaction
from django.test import Client
from django_tenants.utils import tenant_context

from practica.accounts.models import User
from practica.accounts.roles import Role
from practica.accounts.services import grant_billing_company
from practica.asgi import application
from practica.audit import context
from practica.audit.context import Kind, acting_as
from practica.audit.database import audited_models, install_triggers
from practica.audit.models import AuditEvent
from practica.celery import app as celery_app
from practica.messaging import services as messaging
from practica.messaging.models import Message
from practica.patients.models import Patient
from practica.scheduling.models import Location
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import BillingCompanyMemberFactory, PatientFactory
from tests.messaging.conftest import (  # noqa: F401 (fixtures)
    Side,
    _keep_the_test_transaction,
    patient_headers,
    side_a,
    staff_headers,
)
from tests.portal.conftest import make_account, portal_client

IP = "198.51.100.23"
NEW_PATIENT = {"first_name": "Nell", "last_name": "Newcomb", "date_of_birth": "1970-03-04", "sex": "F"}


def events(practice: Practice, **filters: Any) -> list[AuditEvent]:
    with tenant_context(practice):
        return list(AuditEvent.objects.filter(**filters).exclude(action="view").order_by("id"))


def last_id(practice: Practice) -> int:
    with tenant_context(practice):
        return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def actors(found: list[AuditEvent]) -> set[tuple[Any, ...]]:
    return {(e.actor_kind, e.actor_name, e.actor_id, e.actor_email, e.actor_role) for e in found}


@pytest.fixture
def owner(practice_a: Practice) -> User:
    return staff(practice_a, Role.OWNER, email="olive@alpha.example")


# --- HTTP ---


def test_back_office_staff(practice_a: Practice, owner: User) -> None:
    browser = signed_in_client(owner, practice_a)
    assert browser.post("/patients/new/", NEW_PATIENT, REMOTE_ADDR=IP).status_code == 302
    (created,) = events(practice_a, object_type="patients.patient", action="create")
    assert actors([created]) == {(Kind.STAFF, "", owner.pk, "olive@alpha.example", Role.OWNER)}
    assert created.ip_address == IP and created.object_label == "Newcomb, Nell"
    assert created.actor_label == "olive@alpha.example"


def test_api_with_a_staff_session(practice_a: Practice, owner: User) -> None:
    browser = signed_in_client(owner, practice_a)
    response = browser.post("/api/v1/locations/", {"name": "Harbour"}, content_type="application/json")
    assert response.status_code == 201
    (created,) = events(practice_a, object_type="scheduling.location", action="create")
    assert actors([created]) == {(Kind.STAFF, "", owner.pk, "olive@alpha.example", Role.OWNER)}
    assert created.object_label == "Harbour"


def test_a_billing_company_user(practice_a: Practice, owner: User) -> None:
    member = BillingCompanyMemberFactory.create(
        company__name="Summit Billing", user__email="bo@summit.example"
    )
    grant_billing_company(practice=practice_a, company=member.company, role=Role.FRONT_DESK, granted_by=owner)
    browser = signed_in_client(member.user, practice_a)
    assert browser.post("/patients/new/", NEW_PATIENT).status_code == 302
    (created,) = events(practice_a, object_type="patients.patient", action="create")
    assert actors([created]) == {
        (Kind.BILLING_COMPANY, "Summit Billing", member.user.pk, "bo@summit.example", Role.FRONT_DESK)
    }
    page = signed_in_client(owner, practice_a).get("/audit/?actor=summit")
    assert b"bo@summit.example (front_desk), for Summit Billing" in page.content


def test_a_patient_through_the_portal(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("pat@example.com", first_name="Pat")
        thread = messaging.start_thread(account.patient, "A question")
    browser = portal_client(account, practice_a)
    response = browser.post(f"/portal/messages/{thread.pk}/", {"body": "And another"}, REMOTE_ADDR=IP)
    assert response.status_code == 302
    (posted,) = events(practice_a, object_type="messaging.message", action="create")[1:]
    expected = (Kind.PATIENT, str(account.patient_id), None, "pat@example.com", "patient")
    assert actors([posted]) == {expected}
    assert posted.ip_address == IP

    browser.post("/portal/language/", {"language": "es", "next": "/portal/"})  # no patient_required
    (language,) = events(practice_a, object_type="patients.patientprofile", action__in=["create", "update"])
    assert actors([language]) == {expected}


def test_an_anonymous_visitor(practice_a: Practice) -> None:
    browser = Client(HTTP_HOST=f"{practice_a.slug}.practica.test", REMOTE_ADDR=IP)
    browser.post(
        "/portal/register/",
        {
            "first_name": "Vic",
            "last_name": "Visitor",
            "date_of_birth": "1980-01-02",
            "email": "vic@example.com",
            "password": "a long portal passphrase 42",
            "password_again": "a long portal passphrase 42",
        },
    )
    created = events(practice_a, object_type="portal.portalaccount", action="create")
    assert created, "registration wrote no account"
    assert actors(created) == {(Kind.VISITOR, "", None, "", "")}
    assert {e.ip_address for e in created} == {IP}


# --- WebSockets ---


def _over_the_socket(side: Side, headers: list[tuple[bytes, bytes]], body: str) -> None:
    async def scenario() -> None:
        socket = WebsocketCommunicator(application, f"/ws/messaging/{side.ann_thread.pk}/", headers=headers)
        connected, _code = await socket.connect(timeout=5)
        assert connected
        await socket.send_json_to({"type": "send", "body": body})
        assert (await socket.receive_json_from(timeout=2))["type"] == "stored"
        await socket.send_json_to({"type": "read"})
        await socket.disconnect()

    async_to_sync(scenario)()


def test_a_staff_reply_over_the_websocket(side_a: Side) -> None:  # noqa: F811
    headers = [*staff_headers(side_a.nurse, side_a.practice), (b"x-forwarded-for", b"203.0.113.50")]
    before = last_id(side_a.practice)
    _over_the_socket(side_a, headers, "Refill sent")
    with tenant_context(side_a.practice):
        reply = Message.objects.get(thread=side_a.ann_thread, author_user=side_a.nurse)
    (created,) = events(side_a.practice, object_type="messaging.message", object_id=str(reply.pk))
    assert actors([created]) == {(Kind.STAFF, "", side_a.nurse.pk, side_a.nurse.email, Role.FRONT_DESK)}
    # The thread's read receipt (a queryset update) is the nurse's too.
    read = events(side_a.practice, object_type="messaging.thread", id__gt=before)
    assert read and actors(read) == actors([created])


def test_a_patients_message_over_the_websocket(side_a: Side) -> None:  # noqa: F811
    before = last_id(side_a.practice)
    _over_the_socket(side_a, patient_headers(side_a.ann, side_a.practice), "It itches")
    (created,) = events(side_a.practice, object_type="messaging.message", id__gt=before)
    ann = (Kind.PATIENT, str(side_a.ann.patient_id), None, side_a.ann.email, "patient")
    assert actors([created]) == {ann}
    read = events(side_a.practice, object_type="messaging.thread", id__gt=before)
    assert read and actors(read) == {ann}


# --- Celery and management commands ---


@celery_app.task(name="tests.audit.rename_patient")
def rename_patient(patient_id: str) -> None:
    Patient.objects.filter(pk=patient_id).update(last_name="Renamed")


def test_a_celery_task(practice_a: Practice, owner: User) -> None:
    with tenant_context(practice_a):
        patient = PatientFactory.create()
    browser = signed_in_client(owner, practice_a)
    assert browser.get("/patients/").status_code == 200  # a request before it: nothing of it stays
    with tenant_context(practice_a):
        rename_patient.apply_async(args=[str(patient.pk)], headers={"_schema_name": practice_a.schema_name})
    (renamed,) = events(practice_a, object_id=str(patient.pk), action="update")
    assert renamed.changed_fields == ["last_name"]
    assert actors([renamed]) == {(Kind.TASK, "tests.audit.rename_patient", None, "", "")}
    assert renamed.actor_label == "task:tests.audit.rename_patient"


def test_a_management_command(practice_a: Practice, monkeypatch: pytest.MonkeyPatch) -> None:
    import manage

    with tenant_context(practice_a):
        account = make_account("cmd@example.com")
        thread = messaging.start_thread(account.patient, "Rotate me")
    monkeypatch.setattr(sys, "argv", ["manage.py", "reencrypt_messages", "--practice", practice_a.slug])
    monkeypatch.setattr(connections, "close_all", lambda: None)  # as commands do when they end: not ours
    manage.main()
    with tenant_context(practice_a):
        message = thread.messages.get()
    updated = events(practice_a, object_type="messaging.message", object_id=str(message.pk), action="update")
    assert [e.changed_fields for e in updated] == [["body_ciphertext"]]
    assert actors(updated) == {(Kind.COMMAND, "reencrypt_messages", None, "", "")}


# --- what save() signals never saw ---


def test_queryset_updates_bulk_inserts_and_deletes_are_audited(practice_a: Practice, owner: User) -> None:
    desk = context.person(user_id=owner.pk, email=owner.email, role=Role.OWNER, ip_address=IP)
    with tenant_context(practice_a), acting_as(desk):
        patient = PatientFactory.create(last_name="Bulk")
        assert Patient.objects.filter(pk=patient.pk).update(phone="+15125550147") == 1
        Patient.objects.filter(pk=patient.pk).update(phone="+15125550147")  # no change: no event
        made = Location.objects.bulk_create([Location(name="North"), Location(name="South")])
        Location.objects.filter(pk=made[0].pk).delete()
    (updated,) = events(practice_a, object_id=str(patient.pk), action="update")
    assert updated.changed_fields == ["phone"]
    locations = events(practice_a, object_type="scheduling.location")
    assert [(e.action, e.object_label) for e in locations] == [
        ("create", "North"),
        ("create", "South"),
        ("delete", "North"),
    ]
    assert actors([updated, *locations]) == {(Kind.STAFF, "", owner.pk, owner.email, Role.OWNER)}
    assert {e.ip_address for e in locations} == {IP}


def test_the_actor_goes_with_each_statement(practice_a: Practice) -> None:
    """Set with every write, so an earlier actor of the same transaction (or connection) is never
    taken for a later one's."""
    with tenant_context(practice_a):
        with transaction.atomic():
            with acting_as(context.task("first")):
                first = PatientFactory.create()
            with acting_as(context.command("second")):
                Patient.objects.filter(pk=first.pk).update(last_name="Second")
        PatientFactory.create(last_name="Nobody")  # no entry point named anyone
    found = events(practice_a, object_type="patients.patient")
    assert [(e.action, e.actor_label) for e in found] == [
        ("create", "task:first"),
        ("update", "command:second"),
        ("create", "system"),
    ]


@pytest.fixture
def trigger_tables(practice_a: Practice) -> Iterator[dict[str, set[str]]]:
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        for schema in ("practice_template", practice_a.schema_name):
            cursor.execute(
                """SELECT cls.relname FROM pg_trigger trg JOIN pg_class cls ON cls.oid = trg.tgrelid
                   JOIN pg_namespace ns ON ns.oid = cls.relnamespace
                   WHERE ns.nspname = %s AND trg.tgname = 'audit_row_change'
                   AND EXISTS (SELECT 1 FROM pg_trigger st WHERE st.tgrelid = cls.oid
                               AND st.tgname = 'audit_statement_actor')""",
                [schema],
            )
            found[schema] = {row[0] for row in cursor.fetchall()}
    yield found


def test_every_practice_table_has_the_trigger(
    practice_a: Practice, trigger_tables: dict[str, set[str]]
) -> None:
    wanted = {model._meta.db_table for model in audited_models()}
    assert len(wanted) > 40 and "patients_patient" in wanted and "scheduling_provider_locations" in wanted
    assert "audit_auditevent" not in wanted
    assert trigger_tables["practice_template"] == wanted
    assert trigger_tables[practice_a.schema_name] == wanted
    with tenant_context(practice_a):
        assert install_triggers() == []  # already in place: a deploy changes nothing


def test_a_twilio_webhook(practice_a: Practice) -> None:
    """A patient's "C" by text confirms the visit: the change is the signed Twilio webhook's."""
    from notifications.services import save_sms_route
    from tests.factories import make_clinic
    from tests.notifications.conftest import local
    from tests.notifications.test_webhooks import INBOUND_URL, SERVICE, TOKEN, post_signed, text

    with tenant_context(practice_a):
        clinic = make_clinic(practice_a, hours=None, patient={"phone": "(555) 201-0001"}, book_override=True)
        save_sms_route(
            account_sid="AC" + "b2" * 16, auth_token=TOKEN, messaging_service_sid=SERVICE,
            from_number="+15550009999",
        )  # fmt: skip
        appointment = clinic.book(local(3, 14))
        before = last_id(practice_a)
        assert post_signed(INBOUND_URL, text("C")).status_code == 200  # type: ignore[attr-defined]
    (confirmed,) = events(
        practice_a, object_type="scheduling.appointment", object_id=str(appointment.pk), id__gt=before
    )
    assert confirmed.changed_fields and "status" in confirmed.changed_fields
    assert actors([confirmed]) == {(Kind.WEBHOOK, "twilio.inbound_sms", None, "", "")}
