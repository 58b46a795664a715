"""Making statements: a run per period, one statement per patient owing more than the practice's
minimum, the PDFs rendered afterwards by Celery (practica.statements.tasks), never in a request."""

import datetime
import uuid
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from practica.accounts.models import User
from practica.patient_billing.models import LedgerEntry
from practica.statements import schedule
from practica.statements.aging import age
from practica.statements.errors import StatementError
from practica.statements.models import (
    PatientAccount,
    PaymentPlan,
    Statement,
    StatementRun,
    StatementSettings,
)

# PDFs rendered per Celery task: big enough to pay a task's overhead once per many statements,
# small enough that a worker lost mid-task leaves little to redo.
RENDER_CHUNK = 200


def current_settings() -> StatementSettings:
    settings, _ = StatementSettings.objects.get_or_create(singleton=True)
    return settings


def save_settings(settings: StatementSettings, *, now: datetime.datetime | None = None) -> StatementSettings:
    """Checked like a form, saved, and the next monthly run put in the due index."""
    settings.full_clean()
    with transaction.atomic():
        settings.save()
        next_run = schedule.next_run_at(settings, now or timezone.now())
        if next_run is not None:
            schedule.note_due(next_run)
    return settings


def start_run(
    *,
    trigger: str = StatementRun.Trigger.ON_DEMAND,
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> StatementRun:
    """Make this month's statements: one per patient owing at least the minimum who has none for
    the period yet. A rerun (on demand, or the monthly one after an on-demand run) makes
    statements only for patients who have none; the database refuses a second (patient, period)
    even to two runs racing. The PDFs are rendered by Celery after the commit."""
    now = now or timezone.now()
    period = schedule.period_of(schedule.local_date(now))
    try:
        with transaction.atomic():
            run = StatementRun.objects.create(period=period, trigger=trigger, started_by=by)
            _make_statements(run, now)
    except IntegrityError as error:
        if trigger == StatementRun.Trigger.SCHEDULED:
            raise StatementError(f"Statements for {period:%B %Y} were already made.") from error
        raise
    transaction.on_commit(lambda: queue_rendering(run))
    return run


def queue_rendering(run: StatementRun) -> int:
    """Queue the PDFs still to render, in chunks; returns how many tasks were queued."""
    from practica.statements.tasks import render_statements

    ids = [str(pk) for pk in Statement.objects.filter(run=run, rendered_at=None).values_list("pk", flat=True)]
    chunks = [ids[i : i + RENDER_CHUNK] for i in range(0, len(ids), RENDER_CHUNK)]
    for chunk in chunks:
        render_statements.delay(chunk)
    return len(chunks)


def _make_statements(run: StatementRun, now: datetime.datetime) -> None:
    settings = current_settings()
    statement_date = schedule.local_date(now)
    owing = dict(
        LedgerEntry.objects.filter(posted_at__lte=now)
        .values("patient_id")
        .annotate(balance=Sum("amount_cents"))
        .filter(balance__gte=max(settings.minimum_balance_cents, 1))
        .exclude(patient_id__in=Statement.objects.filter(period=run.period).values("patient_id"))
        .exclude(
            patient_id__in=PatientAccount.objects.filter(collections_at__isnull=False).values("patient_id")
        )
        .values_list("patient_id", "balance")
    )
    if not owing:
        _count(run)
        return
    since = dict(
        Statement.objects.filter(patient_id__in=owing)
        .values("patient_id")
        .annotate(last=Max("cutoff"))
        .values_list("patient_id", "last")
    )
    history: dict[object, list[tuple[datetime.datetime, int]]] = defaultdict(list)
    entries = (
        LedgerEntry.objects.filter(patient_id__in=owing, posted_at__lte=now)
        .order_by("patient_id", "posted_at", "id")
        .values_list("patient_id", "posted_at", "amount_cents")
    )
    for patient_id, posted_at, cents in entries.iterator(chunk_size=5000):
        history[patient_id].append((posted_at, cents))
    # A patient on a payment plan gets the statement but no reminders while the plan lasts.
    on_plan = set(
        PaymentPlan.objects.filter(patient_id__in=owing, status=PaymentPlan.Status.ACTIVE).values_list(
            "patient_id", flat=True
        )
    )
    zone = schedule.practice_zone()
    first_step = _first_dunning_at(settings, statement_date)
    statements = []
    for patient_id, balance in owing.items():
        lines = history[patient_id]
        aging = age(((when.astimezone(zone).date(), cents) for when, cents in lines), statement_date)
        previous_cutoff = since.get(patient_id)
        previous = sum(c for when, c in lines if previous_cutoff and when <= previous_cutoff)
        statements.append(
            Statement(
                run=run,
                patient_id=patient_id,
                period=run.period,
                statement_date=statement_date,
                due_date=statement_date + datetime.timedelta(days=settings.due_days),
                since=previous_cutoff,
                cutoff=now,
                previous_balance_cents=previous,
                amount_due_cents=balance,
                aging_current_cents=aging.current,
                aging_31_60_cents=aging.days_31_60,
                aging_61_90_cents=aging.days_61_90,
                aging_over_90_cents=aging.over_90,
                status=Statement.Status.ON_PLAN if patient_id in on_plan else Statement.Status.OPEN,
                next_dunning_at=None if patient_id in on_plan else first_step,
            )
        )
    # The unique (patient, period) constraint has the last word: a concurrent run's rows win.
    Statement.objects.bulk_create(statements, batch_size=2000, ignore_conflicts=True)
    # Dunning follows the newest statement only.
    Statement.objects.filter(
        patient_id__in=owing, status__in=[Statement.Status.OPEN, Statement.Status.ON_PLAN]
    ).exclude(period=run.period).update(status=Statement.Status.SUPERSEDED, next_dunning_at=None)
    _count(run)
    if first_step is not None:
        schedule.note_due(first_step)


def _first_dunning_at(settings: StatementSettings, statement_date: datetime.date) -> datetime.datetime | None:
    steps = dunning_days(settings)
    return schedule.at_work_hour(statement_date + datetime.timedelta(days=steps[0])) if steps else None


def dunning_days(settings: StatementSettings) -> list[int]:
    """The days after the statement's date of each dunning step: the reminders, the final notice,
    then collections (when automatic)."""
    days = [*settings.reminder_day_list, settings.final_notice_days]
    if settings.collections_days:
        days.append(settings.collections_days)
    return days


def _count(run: StatementRun) -> None:
    totals = Statement.objects.filter(run=run).aggregate(count=Count("id"), total=Sum("amount_due_cents"))
    run.statement_count = totals["count"]
    run.total_cents = totals["total"] or 0
    run.save(update_fields=["statement_count", "total_cents"])


def run_scheduled(now: datetime.datetime | None = None) -> StatementRun | None:
    """The monthly run, if its day has come and it has not been made for this period."""
    now = now or timezone.now()
    settings = current_settings()
    if not settings.monthly_runs:
        return None
    today = schedule.local_date(now)
    if now < schedule.at_work_hour(today.replace(day=settings.cycle_day)):
        return None
    period = schedule.period_of(today)
    if StatementRun.objects.filter(period=period, trigger=StatementRun.Trigger.SCHEDULED).exists():
        return None
    try:
        return start_run(trigger=StatementRun.Trigger.SCHEDULED, now=now)
    except StatementError:
        return None  # another worker made it first


def set_paper_statements(patient_id: uuid.UUID, paper: bool) -> PatientAccount:
    account, _ = PatientAccount.objects.get_or_create(patient_id=patient_id)
    if account.paper_statements != paper:
        account.paper_statements = paper
        account.save(update_fields=["paper_statements", "updated_at"])
    return account
