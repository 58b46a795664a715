"""When a practice's nightly eligibility batch next runs, in the public index beat's tick reads
(practica.eligibility.due.EligibilityDueWork): each evening, while a real-time clearinghouse is
configured."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from practica.eligibility.due.models import EligibilityDueWork
from practica.eligibility.models import EligibilitySettings

# The hour (local) the batch runs: the evening before, once the day's bookings are in, and early
# enough for a problem to be seen by the desk the next morning.
NIGHTLY_HOUR = 19


def practice_zone() -> ZoneInfo:
    return ZoneInfo(connection.tenant.time_zone)  # type: ignore[attr-defined]


def configured() -> bool:
    return EligibilitySettings.objects.filter(singleton=True).exclude(realtime_url="").exists()


def next_run_at(now: dt.datetime) -> dt.datetime:
    """The first NIGHTLY_HOUR (local) after `now`."""
    zone = practice_zone()
    today = now.astimezone(zone).date()
    run = dt.datetime.combine(today, dt.time(NIGHTLY_HOUR), zone)
    if run <= now:
        run = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(NIGHTLY_HOUR), zone)
    return run


def _set_due(due_at: dt.datetime | None) -> None:
    tenant = connection.tenant  # type: ignore[attr-defined]
    EligibilityDueWork.objects.update_or_create(
        practice_id=tenant.pk, defaults={"schema_name": tenant.schema_name, "next_due_at": due_at}
    )


def plan_next_run(now: dt.datetime) -> dt.datetime | None:
    """Points the index at the next evening's run, or at nothing if the practice has no real-time
    clearinghouse. Called in the transaction that changes the settings, and after each run."""
    due = next_run_at(now) if configured() else None
    with transaction.atomic():
        _set_due(due)
    return due
