"""When a practice next has statement work due, in the public index beat's tick reads
(practica.statements.due.StatementDueWork), and the practice's own dates: its next monthly run."""

import datetime
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from practica.statements.due.models import StatementDueWork
from practica.statements.models import StatementSettings

# The hour (local) monthly runs and dunning steps are made: office hours, never the night.
WORK_HOUR = 9


def practice_zone() -> ZoneInfo:
    return ZoneInfo(connection.tenant.time_zone)  # type: ignore[attr-defined]


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(practice_zone()).date()


def at_work_hour(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(WORK_HOUR), tzinfo=practice_zone())


def period_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_run_at(settings: StatementSettings, now: datetime.datetime) -> datetime.datetime | None:
    """The next monthly run's time: the cycle day of this month if it is still to come, else next
    month's (None: monthly runs are off)."""
    if not settings.monthly_runs:
        return None
    today = local_date(now)
    this_month = at_work_hour(today.replace(day=settings.cycle_day))
    if this_month > now:
        return this_month
    first_next = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return at_work_hour(first_next.replace(day=settings.cycle_day))


def note_due(due_at: datetime.datetime) -> None:
    """Make the index point at `due_at` or earlier for this practice, in the caller's transaction."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO public.statements_due_statementduework (practice_id, schema_name, next_due_at)
            VALUES (%s, %s, %s)
            ON CONFLICT (practice_id) DO UPDATE
            SET next_due_at = LEAST(
                COALESCE(public.statements_due_statementduework.next_due_at, EXCLUDED.next_due_at),
                EXCLUDED.next_due_at
            )
            """,
            [tenant.pk, tenant.schema_name, due_at],
        )


def refresh_due(candidates: Callable[[], list[datetime.datetime | None]]) -> datetime.datetime | None:
    """After the practice's due work is done: point the index at the earliest work still to come.

    The index row is locked before `candidates` reads the practice's dates: a write that noted
    earlier work holds that lock until it commits, so it is either seen by those reads or lands
    after this update and lowers the index again; no due work is lost between the two."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    with transaction.atomic():
        row, _ = StatementDueWork.objects.select_for_update().get_or_create(
            practice_id=tenant.pk, defaults={"schema_name": tenant.schema_name}
        )
        due = min((c for c in candidates() if c is not None), default=None)
        row.next_due_at = due
        row.save(update_fields=["next_due_at"])
    return due
