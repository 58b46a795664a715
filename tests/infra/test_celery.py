"""The Celery app: Django's JSON logging stays in charge in the worker; periodic tasks are
registered by name, once."""

from collections.abc import Iterator

import pytest
from celery.schedules import crontab

from practica.celery import add_periodic_task, app


@pytest.fixture
def beat_schedule() -> Iterator[dict[str, dict[str, object]]]:
    saved = dict(app.conf.beat_schedule)
    yield app.conf.beat_schedule
    app.conf.beat_schedule.clear()
    app.conf.beat_schedule.update(saved)


def test_a_periodic_task_is_scheduled_by_name(beat_schedule: dict[str, dict[str, object]]) -> None:
    every_five_minutes = crontab(minute="*/5")
    add_periodic_task("send reminders", "messaging.tasks.send_due_reminders", every_five_minutes)
    assert beat_schedule["send reminders"] == {
        "task": "messaging.tasks.send_due_reminders",
        "schedule": every_five_minutes,
    }


def test_the_same_name_cannot_be_scheduled_twice(beat_schedule: dict[str, dict[str, object]]) -> None:
    add_periodic_task("nightly", "a.task", crontab(hour=2, minute=0))
    with pytest.raises(ValueError, match="already scheduled"):
        add_periodic_task("nightly", "b.task", crontab(hour=3, minute=0))
    assert beat_schedule["nightly"]["task"] == "a.task"


def test_the_worker_keeps_djangos_logging() -> None:
    assert app.conf.worker_hijack_root_logger is False


def test_every_periodic_job_of_the_product_is_scheduled_and_names_a_registered_task() -> None:
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {
        "notifications.tick",
        "practica.patient_billing.tasks.process_pending_stripe_events",
        "practica.patient_billing.tasks.release_expired_deposit_holds",
        "tenants.tasks.purge_expired_practices",
        "eligibility.tick",
        "eligibility.enrol_practices",
    } <= scheduled
    unknown = scheduled - set(app.tasks)
    assert not unknown, f"beat would send tasks no worker knows: {unknown}"
