"""A practice's statement work that has come due, done by the task beat's tick hands it
(practica.statements.tasks): the monthly run, the dunning steps, the installments, then the index
pointed at the next work."""

import datetime

from django.utils import timezone

from practica.statements import schedule
from practica.statements.dunning import next_dunning_at, run_dunning
from practica.statements.plans import charge_due_installments, next_installment_at
from practica.statements.services import current_settings, run_scheduled


def run_due_work(now: datetime.datetime | None = None) -> int:
    """Returns how many pieces of work were done."""
    now = now or timezone.now()
    done = 0
    if run_scheduled(now) is not None:
        done += 1
    done += run_dunning(now)
    done += charge_due_installments(now)
    schedule.refresh_due(lambda: next_work_at(now))
    return done


def next_work_at(now: datetime.datetime) -> list[datetime.datetime | None]:
    return [schedule.next_run_at(current_settings(), now), next_dunning_at(), next_installment_at()]
