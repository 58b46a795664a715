"""The owner's zip of CSV files of everything the practice keeps."""

import csv
import datetime
import io
import zipfile

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.messaging.models import Message, Thread
from practica.patient_billing import ledger
from practica.patient_billing.models import LedgerEntry
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def _practice_with_data(practice: Practice) -> str:
    with tenant_context(practice):
        patient = PatientFactory.create(first_name="Ines", last_name="Moreau")
        ledger.post_entry(patient, LedgerEntry.Kind.CHARGE, 4_200, memo="Visit")
        thread = Thread.objects.create(patient=patient, last_message_at=timezone.now())
        Message.objects.create(thread=thread, author="patient", body_ciphertext="gAAAA-secret-cipher")
        return str(patient.pk)


def test_owner_downloads_every_table_and_the_export_is_audited(practice_a: Practice) -> None:
    patient_id = _practice_with_data(practice_a)
    owner = staff(practice_a, Role.OWNER)
    assert b'href="/billing/export/"' in signed_in_client(owner, practice_a).get("/billing/").content
    response = signed_in_client(owner, practice_a).get("/billing/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{practice_a.slug}-export-' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [
        "appointments.csv",
        "audit_events.csv",
        "ledger_entries.csv",
        "message_threads.csv",
        "messages.csv",
        "patients.csv",
        "payments.csv",
    ]
    patients = _rows(archive, "patients.csv")
    assert [(p["id"], p["first_name"], p["last_name"]) for p in patients] == [(patient_id, "Ines", "Moreau")]
    (entry,) = _rows(archive, "ledger_entries.csv")
    assert entry["patient_id"] == patient_id and entry["amount_cents"] == "4200" and entry["kind"] == "charge"
    (message,) = _rows(archive, "messages.csv")
    assert "body_ciphertext" not in message and message["author"] == "patient"
    assert b"secret-cipher" not in b"".join(archive.read(n) for n in archive.namelist())
    assert _rows(archive, "appointments.csv") == [] and _rows(archive, "payments.csv") == []
    audit_rows = _rows(archive, "audit_events.csv")
    assert any(r["object_type"] == "tenants.practice" and "export" in r["changed_fields"] for r in audit_rows)
    with tenant_context(practice_a):
        export_event = AuditEvent.objects.get(object_type="tenants.practice", changed_fields=["export"])
        assert export_event.actor_id == owner.pk and export_event.action == AuditEvent.Action.VIEW


@pytest.mark.parametrize("role", [Role.MANAGER, Role.BILLER, Role.FRONT_DESK, Role.CLINICIAN])
def test_other_roles_are_refused(practice_a: Practice, role: str) -> None:
    response = signed_in_client(staff(practice_a, role), practice_a).get("/billing/export/")
    assert response.status_code == 403
    with tenant_context(practice_a):
        assert not AuditEvent.objects.filter(object_type="tenants.practice").exists()


def test_practice_b_owner_gets_only_practice_b(practice_a: Practice, practice_b: Practice) -> None:
    _practice_with_data(practice_a)
    owner_b = staff(practice_b, Role.OWNER)
    # Practice B's owner is not staff of practice A: not found there.
    assert signed_in_client(owner_b, practice_a).get("/billing/export/").status_code == 404
    response = signed_in_client(owner_b, practice_b).get("/billing/export/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert _rows(archive, "patients.csv") == [] and b"Ines" not in response.content


def test_owner_exports_while_suspended_or_read_only(practice_a: Practice) -> None:
    _practice_with_data(practice_a)
    owner = staff(practice_a, Role.OWNER)
    front_desk = staff(practice_a, Role.FRONT_DESK)
    Practice.objects.filter(pk=practice_a.pk).update(status=Practice.Status.SUSPENDED)
    client = signed_in_client(owner, practice_a)
    notice = client.get("/patients/")
    assert notice.status_code == 403 and b'href="/billing/export/"' in notice.content  # the notice only
    response = client.get("/billing/export/")
    assert response.status_code == 200 and b"patients.csv" in response.content
    assert signed_in_client(front_desk, practice_a).get("/billing/export/").status_code == 403

    Practice.objects.filter(pk=practice_a.pk).update(
        status=Practice.Status.PAST_DUE, past_due_since=timezone.now() - datetime.timedelta(days=60)
    )
    assert client.post("/patients/new/", {"first_name": "A"}).status_code == 403  # read-only
    assert client.get("/billing/export/").status_code == 200
