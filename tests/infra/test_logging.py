"""Log lines are JSON and carry the practice schema and the request id, through the handler
configured in settings.LOGGING (the one production writes to)."""

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery import shared_task
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.test import Client

from practica.celery import REQUEST_ID_HEADER
from practica.core.context import request_id_var
from practica.core.logging import TenantContextFilter
from practica.scheduling import home_views
from tenants.models import Practice
from tests.conftest import PUBLIC_HOST, signed_in_client, staff

LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_log_lines() -> Iterator[LogLines]:
    """Redirects the configured console handler into a buffer; returns its parsed lines."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, TenantContextFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


def test_a_line_logged_inside_a_practice_view_names_the_practice_and_request(
    practice_a: Practice, json_log_lines: LogLines, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = home_views.first_run_checklist

    def checklist_with_a_log_line(practice: Practice) -> Any:
        logging.getLogger("practica.test").warning("building the checklist")
        return original(practice)

    monkeypatch.setattr(home_views, "first_run_checklist", checklist_with_a_log_line)
    response = signed_in_client(staff(practice_a), practice_a).get("/", HTTP_X_REQUEST_ID="trace0001abcd")
    assert response.status_code == 200

    (line,) = [line for line in json_log_lines() if line["message"] == "building the checklist"]
    assert line["schema_name"] == practice_a.schema_name
    assert line["request_id"] == response["X-Request-Id"] == "trace0001abcd"
    assert line["levelname"] == "WARNING"
    assert line["name"] == "practica.test"


def test_django_request_lines_written_after_the_middleware_keep_both_fields(
    practice_a: Practice, json_log_lines: LogLines
) -> None:
    response = signed_in_client(staff(practice_a), practice_a).get("/no-such-page/")
    assert response.status_code == 404
    (line,) = [line for line in json_log_lines() if line["name"] == "django.request"]
    assert line["message"] == "Not Found: /no-such-page/"
    assert line["schema_name"] == practice_a.schema_name
    assert line["request_id"] == response["X-Request-Id"]
    assert len(line["request_id"]) == 32


def test_public_site_lines_say_public(db: None, json_log_lines: LogLines) -> None:
    response = Client(HTTP_HOST=PUBLIC_HOST).get("/nothing-here/")
    assert response.status_code == 404
    (line,) = [line for line in json_log_lines() if line["name"] == "django.request"]
    assert line["schema_name"] == "public"
    assert line["request_id"] == response["X-Request-Id"]


def test_lines_outside_any_request_say_so(db: None, json_log_lines: LogLines) -> None:
    logging.getLogger("practica.test").warning("no request here")
    (line,) = json_log_lines()
    assert (line["schema_name"], line["request_id"]) == ("public", "-")


@shared_task(bind=True)
def _task_reading_the_request_id(self: Any) -> str:
    return request_id_var.get()


def test_queued_tasks_carry_the_request_id_in_their_headers() -> None:
    headers: dict[str, Any] = {}
    token = request_id_var.set("queuedfrom0001")
    try:
        before_task_publish.send(sender="some.task", headers=headers, body=None)
    finally:
        request_id_var.reset(token)
    assert headers[REQUEST_ID_HEADER] == "queuedfrom0001"


def test_a_worker_restores_the_request_id_only_while_the_task_runs() -> None:
    task = _task_reading_the_request_id
    task.push_request(id="t1", headers={REQUEST_ID_HEADER: "fromheaders01"}, is_eager=False)
    try:
        task_prerun.send(sender=task, task_id="t1", task=task, args=(), kwargs={})
        assert request_id_var.get() == "fromheaders01"
        task_postrun.send(sender=task, task_id="t1", task=task, args=(), kwargs={}, retval=None)
    finally:
        task.pop_request()
    assert request_id_var.get() == "-"
