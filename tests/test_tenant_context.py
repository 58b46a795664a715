"""The practice travels with everything that leaves the request: cache keys, stored files,
background tasks, Channels groups and log lines."""

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from tenant_schemas_celery.task import headers_with_schema

from practica.celery import app
from practica.core.groups import practice_group
from practica.core.logging import TenantContextFilter
from practica.core.tenancy import current_schema, use_public_schema, use_schema_of
from practica.patients.models import Patient
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import PatientFactory


@app.task(name="tests.where_am_i")
def where_am_i(look: bool = True) -> dict[str, object]:
    """Reports the schema a task runs in and the patients it can see there."""
    seen = sorted(p.last_name for p in Patient.objects.all()) if look else []
    return {"schema": current_schema(), "patients": seen}


@pytest.fixture
def patients(practice_a: Practice, practice_b: Practice) -> Iterator[None]:
    use_schema_of(practice_a)
    PatientFactory.create(last_name="Alphason")
    use_schema_of(practice_b)
    PatientFactory.create(last_name="Betamann")
    use_public_schema()
    yield
    use_public_schema()


# ---- cache ---------------------------------------------------------------------------------------


def test_a_cache_key_set_in_a_is_not_readable_in_b(practice_a: Practice, practice_b: Practice) -> None:
    key = f"probe-{uuid.uuid4().hex}"
    use_schema_of(practice_a)
    cache.set(key, "alpha's secret", 30)
    assert cache.get(key) == "alpha's secret"
    use_schema_of(practice_b)
    assert cache.get(key) is None
    cache.set(key, "beta's own", 30)
    use_schema_of(practice_a)
    assert cache.get(key) == "alpha's secret"  # B's write did not overwrite A's
    use_public_schema()
    assert cache.get(key) is None
    use_schema_of(practice_a)
    cache.delete(key)
    use_schema_of(practice_b)
    cache.delete(key)
    use_public_schema()


def test_cache_keys_start_with_the_schema_in_redis(practice_a: Practice) -> None:
    key = f"probe-{uuid.uuid4().hex}"
    use_schema_of(practice_a)
    cache.set(key, 1, 30)
    raw = cache.client.get_client()  # type: ignore[attr-defined]
    stored = [name.decode() for name in raw.scan_iter(match=f"*{key}")]
    assert stored == [f"{practice_a.schema_name}::1:{key}"]  # schema, (empty) prefix, version, key
    cache.delete(key)
    use_public_schema()


# ---- files ---------------------------------------------------------------------------------------


def test_stored_files_live_under_the_practice_schema(
    practice_a: Practice, practice_b: Practice, tmp_path: Path, settings: pytest.FixtureRequest
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    use_schema_of(practice_a)
    name = default_storage.save("scans/card.txt", ContentFile(b"alpha card"))
    assert Path(default_storage.path(name)) == tmp_path / practice_a.schema_name / "scans" / "card.txt"
    assert default_storage.url(name) == f"/media/{practice_a.schema_name}/scans/card.txt"
    use_schema_of(practice_b)
    assert not default_storage.exists(name)
    assert Path(default_storage.path(name)).is_relative_to(tmp_path / practice_b.schema_name)
    use_public_schema()


# ---- Celery ----------------------------------------------------------------------------------------


def test_a_task_queued_in_a_practice_runs_in_that_practice(
    practice_a: Practice, practice_b: Practice, patients: None
) -> None:
    assert settings.CELERY_TASK_ALWAYS_EAGER
    use_schema_of(practice_a)
    assert where_am_i.delay().get() == {"schema": practice_a.schema_name, "patients": ["Alphason"]}
    use_schema_of(practice_b)
    assert where_am_i.delay().get() == {"schema": practice_b.schema_name, "patients": ["Betamann"]}
    assert current_schema() == practice_b.schema_name  # the caller's schema is restored
    use_public_schema()


def test_the_schema_travels_in_the_message_headers(practice_a: Practice, patients: None) -> None:
    # What a worker receives: headers stamped at queue time, whatever its own connection says.
    use_schema_of(practice_a)
    headers = headers_with_schema(None)
    assert headers == {"_schema_name": practice_a.schema_name}
    use_public_schema()
    result = where_am_i.apply(headers=headers).get()
    assert result == {"schema": practice_a.schema_name, "patients": ["Alphason"]}
    assert current_schema() == "public"


def test_tasks_from_the_public_site_run_in_public(db: None) -> None:
    use_public_schema()
    assert where_am_i.delay(look=False).get()["schema"] == "public"


# ---- Channels and logs -------------------------------------------------------------------------------


def test_channels_groups_carry_the_schema(practice_a: Practice, practice_b: Practice) -> None:
    use_schema_of(practice_a)
    in_a = practice_group("schedule")
    use_schema_of(practice_b)
    in_b = practice_group("schedule")
    use_public_schema()
    assert in_a == f"{practice_a.schema_name}.schedule"
    assert in_b == f"{practice_b.schema_name}.schedule"
    assert practice_group("schedule", schema_name=practice_a.schema_name) == in_a


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(TenantContextFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    handler = Collect()
    logger = logging.getLogger("practica.probe")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.records
    logger.removeHandler(handler)


def test_log_records_carry_the_schema(
    practice_a: Practice, practice_b: Practice, log_records: list[logging.LogRecord]
) -> None:
    logger = logging.getLogger("practica.probe")
    use_schema_of(practice_a)
    logger.info("in alpha")
    use_schema_of(practice_b)
    logger.info("in beta")
    use_public_schema()
    logger.info("on the public site")
    assert [(r.getMessage(), r.schema_name) for r in log_records] == [  # type: ignore[attr-defined]
        ("in alpha", practice_a.schema_name),
        ("in beta", practice_b.schema_name),
        ("on the public site", "public"),
    ]


def test_log_lines_of_a_request_carry_its_schema_and_request_id(
    practice_a: Practice, log_records: list[logging.LogRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    from practica.patients import views

    original = views.search_patients

    def logged_search(query: str = "") -> object:
        logging.getLogger("practica.probe").info("searching patients")
        return original(query)

    monkeypatch.setattr(views, "search_patients", logged_search)
    client: Client = signed_in_client(staff(practice_a), practice_a)
    response = client.get("/patients/", HTTP_X_REQUEST_ID="logprobe123")
    assert response.status_code == 200
    (record,) = log_records
    assert record.schema_name == practice_a.schema_name  # type: ignore[attr-defined]
    assert record.request_id == "logprobe123"  # type: ignore[attr-defined]
