"""The owner's copy of everything the practice keeps, as a zip of CSV files: theirs to take away,
even when the practice is suspended or read-only. Message bodies stay encrypted out of it (their
metadata is exported); uploaded files are not included."""

import csv
import io
import zipfile

from django.db.models import Field, Model

from practica.audit.models import AuditEvent
from practica.audit.services import record
from practica.messaging.models import Message, Thread
from practica.patient_billing.models import LedgerEntry, Payment
from practica.patients.models import Patient
from practica.scheduling.models import Appointment
from tenants.models import Practice

# file name -> model; the schema in use is the practice's, so every query is its data only.
EXPORTED: dict[str, type[Model]] = {
    "patients.csv": Patient,
    "appointments.csv": Appointment,
    "ledger_entries.csv": LedgerEntry,
    "payments.csv": Payment,
    "audit_events.csv": AuditEvent,
    "message_threads.csv": Thread,
    "messages.csv": Message,
}

LEFT_OUT = ("_ciphertext",)  # encrypted bodies: metadata only


def _columns(model: type[Model]) -> list[str]:
    fields: list[Field[object, object]] = list(model._meta.concrete_fields)
    return [f.attname for f in fields if not f.attname.endswith(LEFT_OUT)]


def _csv(model: type[Model]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    columns = _columns(model)
    writer.writerow(columns)
    for row in model._default_manager.order_by("pk").values_list(*columns).iterator(chunk_size=2000):
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()


def practice_export_zip(practice: Practice) -> bytes:
    """Records the export in the audit trail first, so the file holds its own trace."""
    # An export reads every record: recorded as a view of the practice, marked "export".
    record(AuditEvent.Action.VIEW, practice, changed_fields=["export"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, model in EXPORTED.items():
            archive.writestr(name, _csv(model))
    return buffer.getvalue()
