"""Dunning: the practice's schedule of reminders after a statement (e.g. 30 and 60 days), a final
notice, then collections. Each step checks first that it is still wanted: a statement whose
balance is paid stops there; the outbox's worker checks
again before it sends (notifications.delivery)."""

import datetime

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from notifications.message_notices import has_sms_consent
from notifications.models import Kind, Notification
from notifications.notices import plan_statement_notice
from practica.accounts.models import User
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.statements import schedule
from practica.statements.models import PatientAccount, PaymentPlan, Statement, StatementSettings
from practica.statements.services import current_settings, dunning_days

BATCH = 500


def step_kind(settings: StatementSettings, step: int) -> str:
    """What dunning step `step` (0-based) is: a reminder, the final notice, or collections."""
    reminders = len(settings.reminder_day_list)
    if step < reminders:
        return Kind.STATEMENT_REMINDER
    if step == reminders:
        return Kind.STATEMENT_FINAL
    return "collections"


def step_due_at(settings: StatementSettings, statement: Statement, step: int) -> datetime.datetime | None:
    days = dunning_days(settings)
    if step >= len(days):
        return None
    return schedule.at_work_hour(statement.statement_date + datetime.timedelta(days=days[step]))


def run_dunning(now: datetime.datetime | None = None) -> int:
    """Take every dunning step that has come due; returns how many statements were handled.

    Statements are claimed with FOR UPDATE SKIP LOCKED in batches: two workers never take the
    same step, and each step's notice is written in the transaction that moves the step on."""
    now = now or timezone.now()
    settings = current_settings()
    handled = 0
    while True:
        with transaction.atomic():
            batch = list(
                Statement.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Statement.Status.OPEN, next_dunning_at__lte=now)
                .select_related("patient")
                .order_by("next_dunning_at")[:BATCH]
            )
            for statement in batch:
                _step(settings, statement, now)
        handled += len(batch)
        if len(batch) < BATCH:
            return handled


def _step(settings: StatementSettings, statement: Statement, now: datetime.datetime) -> None:
    if balance_cents(statement.patient) <= 0:
        _close(statement, Statement.Status.PAID)
        return
    if PaymentPlan.objects.filter(patient_id=statement.patient_id, status=PaymentPlan.Status.ACTIVE).exists():
        # Set up since the step was planned: no reminders while the plan lasts.
        _close(statement, Statement.Status.ON_PLAN)
        return
    kind = step_kind(settings, statement.dunning_step)
    if kind == "collections":
        send_to_collections(statement.patient, by=None, now=now)
        return
    patient = statement.patient
    plan_statement_notice(
        statement,
        kind,
        email=True,
        sms=bool(patient.phone) and has_sms_consent(patient.pk),
        now=now,
    )
    statement.dunning_step += 1
    statement.next_dunning_at = step_due_at(settings, statement, statement.dunning_step)
    statement.save(update_fields=["dunning_step", "next_dunning_at"])


def _close(statement: Statement, status: str) -> None:
    statement.status = status
    statement.next_dunning_at = None
    statement.save(update_fields=["status", "next_dunning_at"])


def send_to_collections(
    patient: Patient, *, by: User | None, now: datetime.datetime | None = None
) -> PatientAccount:
    """The account goes to collections: its open statements say so, every message about them
    still waiting is cancelled, and no statement or message follows (the chart is flagged)."""
    now = now or timezone.now()
    with transaction.atomic():
        account, _ = PatientAccount.objects.select_for_update().get_or_create(patient=patient)
        if account.collections_at is None:
            account.collections_at = now
            account.collections_by = by
            account.save(update_fields=["collections_at", "collections_by", "updated_at"])
        Statement.objects.filter(patient=patient, status=Statement.Status.OPEN).update(
            status=Statement.Status.COLLECTIONS, next_dunning_at=None
        )
        Notification.objects.filter(statement__patient=patient, state=Notification.State.SCHEDULED).update(
            state=Notification.State.CANCELLED, error_code="in_collections", updated_at=now
        )
    return account


def next_dunning_at() -> datetime.datetime | None:
    found: datetime.datetime | None = Statement.objects.filter(
        status=Statement.Status.OPEN, next_dunning_at__isnull=False
    ).aggregate(at=Min("next_dunning_at"))["at"]
    return found
