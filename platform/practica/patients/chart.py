"""The patient's chart: one read across the apps that hold a patient's records (coverages,
appointments, the ledger, messages, intake and its documents, and who viewed the record), each a
bounded list in one query, so the page costs the same whatever the patient's history."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from practica.audit.models import AuditEvent
from practica.insurance.models import Coverage
from practica.insurance.selectors import active_coverages
from practica.intake.models import IntakeResponse, IntakeSubmission
from practica.messaging.models import Message, Thread
from practica.patient_billing.models import LedgerEntry
from practica.patients.models import Patient
from practica.scheduling.models import Appointment

RECENT = 10


@dataclass(frozen=True)
class Chart:
    coverages: list[Coverage]
    upcoming: list[Appointment]
    past: list[Appointment]
    balance_cents: int
    ledger_lines: list[LedgerEntry]
    threads: list[Thread]
    submissions: list[IntakeSubmission]
    documents: list[IntakeResponse]
    viewers: list[dict[str, Any]]


def patient_chart(patient: Patient, *, now: datetime.datetime | None = None) -> Chart:
    now = now or timezone.now()
    appointments = Appointment.objects.filter(patient=patient).select_related(
        "appointment_type", "provider", "location"
    )
    active = Q(status__in=Appointment.ACTIVE_STATUSES)
    ledger = LedgerEntry.objects.filter(patient=patient)
    balance = ledger.aggregate(total=Sum("amount_cents"))["total"] or 0
    threads = (
        Thread.objects.filter(patient=patient)
        .annotate(message_count=Count("messages", filter=Q(messages__kind=Message.Kind.MESSAGE)))
        .order_by("-last_message_at")[:RECENT]
    )
    viewers = (
        AuditEvent.objects.filter(
            object_type="patients.patient", object_id=str(patient.pk), action=AuditEvent.Action.VIEW
        )
        .exclude(actor_kind="system")
        .values("actor_name", "actor_email", "actor_role")
        .annotate(views=Count("id"), last=Max("at"))
        .order_by("-last")[:RECENT]
    )
    return Chart(
        coverages=list(active_coverages(patient.pk)),
        upcoming=list(appointments.filter(active, start__gte=now).order_by("start")[:RECENT]),
        past=list(appointments.filter(start__lt=now).order_by("-start")[:RECENT]),
        balance_cents=int(balance),
        ledger_lines=list(ledger.select_related("location").order_by("-posted_at", "-id")[:RECENT]),
        threads=list(threads),
        submissions=list(
            IntakeSubmission.objects.filter(patient=patient)
            .select_related("appointment__appointment_type", "appointment__location")
            .order_by("-appointment__start")[:RECENT]
        ),
        documents=list(
            IntakeResponse.objects.filter(submission__patient=patient)
            .exclude(document="")
            .select_related("item", "submission")
            .order_by("-submission__appointment__start", "item__position")[:RECENT]
        ),
        viewers=[dict(row) for row in viewers],
    )
