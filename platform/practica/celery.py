"""Celery app. tenant-schemas-celery stores the caller's schema in each task's headers and
switches the worker's connection to it before the task runs, so tasks carry their practice.

The request id travels the same way, so a task's log lines join the request that queued it.
Periodic tasks go in `app.conf.beat_schedule` (run by `celery -A practica beat`, see infra/):
each domain adds its entries from its own module with `add_periodic_task`.
"""

import os
from typing import Any

from celery import Task
from celery.signals import before_task_publish, task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp

from practica.audit.context import current_actor
from practica.audit.context import task as task_actor
from practica.core.context import request_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practica.settings")

app = CeleryApp("practica")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Keep Django's LOGGING (JSON lines with schema and request id) in the worker too.
app.conf.worker_hijack_root_logger = False
# The schedule is CELERY_BEAT_SCHEDULE from settings; add_periodic_task adds to it. (Assigning
# app.conf.beat_schedule here, before the settings are read, would hide the settings' entries.)
app.autodiscover_tasks()

REQUEST_ID_HEADER = "practica_request_id"


def add_periodic_task(name: str, task: str, schedule: Any, **options: Any) -> None:
    """Register a beat entry, e.g. `add_periodic_task("send reminders", "messaging.tasks.x",
    crontab(minute="*/5"))`. Names are unique: a second entry with the same name is an error."""
    if name in app.conf.beat_schedule:
        raise ValueError(f"Periodic task {name!r} is already scheduled.")
    app.conf.beat_schedule[name] = {"task": task, "schedule": schedule, **options}


@before_task_publish.connect
def _send_request_id(headers: dict[str, Any], **kwargs: Any) -> None:
    headers.setdefault(REQUEST_ID_HEADER, request_id_var.get())


_request_id_tokens: dict[str, Any] = {}


def _request_id_of(task: Task) -> str | None:
    # As with the schema header, the Redis transport merges custom headers into the request.
    headers = task.request.headers or {}
    return headers.get(REQUEST_ID_HEADER) or task.request.get(REQUEST_ID_HEADER)


@task_prerun.connect
def _restore_request_id(task_id: str, task: Task, **kwargs: Any) -> None:
    request_id = _request_id_of(task)
    if request_id and not task.request.is_eager:
        _request_id_tokens[task_id] = request_id_var.set(request_id)


@task_postrun.connect
def _forget_request_id(task_id: str, **kwargs: Any) -> None:
    token = _request_id_tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)


_actor_tokens: dict[str, Any] = {}


@task_prerun.connect
def _act_as_the_task(task_id: str, task: Task, **kwargs: Any) -> None:
    """What a task writes is recorded in the audit trail as `task:<name>` (its request id, carried
    above, links it to the request that queued it). Eager tasks too: a worker would run them."""
    _actor_tokens[task_id] = current_actor.set(task_actor(task.name))


@task_postrun.connect
def _forget_the_task(task_id: str, **kwargs: Any) -> None:
    token = _actor_tokens.pop(task_id, None)
    if token is not None:
        current_actor.reset(token)


@task_postrun.connect
def _recycle_after_many_schemas(**kwargs: Any) -> None:
    """A worker serving many practices keeps its backend's memory bounded (practica.core.database)."""
    from practica.core.database.base import recycle_after_many_schemas

    recycle_after_many_schemas()
