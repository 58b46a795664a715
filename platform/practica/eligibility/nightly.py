"""The nightly batch: each evening a practice's coverages for the next business day's visits are
checked, so the desk knows of inactive coverage before the patient arrives. Handed to a worker by
beat's tick (practica.eligibility.tasks) when the practice's row in the due index says so."""

import datetime as dt

from practica.eligibility.batch import DaySummary, check_day, next_business_day, practice_clearinghouse
from practica.eligibility.errors import EligibilityError
from practica.eligibility.schedule import configured, plan_next_run, practice_zone


def run_nightly(now: dt.datetime) -> DaySummary | None:
    """Checks the next business day's visits (None: not configured), then plans the next run. A
    run handed out twice (a lease ran out) sends nothing twice: fresh results are skipped."""
    summary = None
    if configured():
        try:
            clearinghouse, requester = practice_clearinghouse()
        except EligibilityError:
            clearinghouse = None
        if clearinghouse is not None:
            day = next_business_day(now.astimezone(practice_zone()).date())
            summary = check_day(day, now=now, clearinghouse=clearinghouse, requester=requester)
    plan_next_run(now)
    return summary
