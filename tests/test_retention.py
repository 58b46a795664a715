"""A cancelled practice's data is kept for the retention period, then purged for good, and
nothing of any other practice goes with it.

The purged practice is provisioned inside the test's transaction, so the rollback removes it."""

import datetime
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_exists, tenant_context

from practica.accounts.models import BillingCompanyAccess, Membership
from practica.accounts.roles import Role
from practica.patients.models import Patient
from tenants import tasks
from tenants.models import Domain, Practice, PracticePurge
from tenants.retention import PurgeRefused, purge_date, purge_expired_practices, purge_practice
from tenants.services import activate_practice, provision_practice, suspend_practice
from tests.conftest import host_of
from tests.factories import BillingCompanyFactory, PatientFactory, ProviderFactory, UserFactory

DAYS = settings.PRACTICE_DATA_RETENTION_DAYS


@pytest.fixture
def leaving(db: None, tmp_path: Path, settings: Any) -> Practice:
    """A practice with staff, a provider tied to a login, a patient, a billing grant and a file."""
    settings.MEDIA_ROOT = str(tmp_path)
    practice = provision_practice(name="Leaving Clinic", slug="leaving", plan=None)
    owner = UserFactory.create(email="owner@leaving.example")
    Membership.objects.create(user=owner, practice=practice, role=Role.OWNER)
    BillingCompanyAccess.objects.create(company=BillingCompanyFactory.create(), practice=practice)
    with tenant_context(practice):
        PatientFactory.create(last_name="Gone")
        ProviderFactory.create(user=owner)
    files = tmp_path / practice.schema_name / "intake"
    files.mkdir(parents=True)
    (files / "card.png").write_bytes(b"\x89PNG")
    return practice


def suspended_days_ago(practice: Practice, days: int) -> Practice:
    suspend_practice(practice)
    Practice.objects.filter(pk=practice.pk).update(
        suspended_at=timezone.now() - datetime.timedelta(days=days)
    )
    practice.refresh_from_db()
    return practice


def test_suspension_starts_the_retention_clock_and_reactivation_stops_it(leaving: Practice) -> None:
    before = timezone.now()
    suspend_practice(leaving)
    assert leaving.suspended_at is not None and leaving.suspended_at >= before
    assert purge_date(leaving) == leaving.suspended_at + datetime.timedelta(days=DAYS)
    first = leaving.suspended_at
    suspend_practice(leaving)  # a second cancellation event does not restart the clock
    assert leaving.suspended_at == first
    activate_practice(leaving)
    assert leaving.suspended_at is None and purge_date(leaving) is None


def test_the_suspension_notice_says_when_the_data_will_be_deleted(leaving: Practice) -> None:
    suspended_days_ago(leaving, 10)
    page = Client(HTTP_HOST=host_of(leaving)).get("/")
    assert page.status_code == 403
    expected = purge_date(leaving)
    assert expected is not None
    assert f"until {expected:%B} {expected.day}, {expected.year}".encode() in page.content


def test_a_practice_inside_its_retention_period_is_not_purged(leaving: Practice) -> None:
    suspended_days_ago(leaving, DAYS - 1)
    with pytest.raises(PurgeRefused):
        purge_practice(leaving)
    assert purge_expired_practices() == []
    assert schema_exists(leaving.schema_name)
    assert not PracticePurge.objects.exists()


def test_an_active_practice_is_never_purged(leaving: Practice) -> None:
    with pytest.raises(PurgeRefused):
        purge_practice(leaving)


def test_purging_removes_the_schema_rows_and_files_of_that_practice_only(
    leaving: Practice,
    practice_a: Practice,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with tenant_context(practice_a):
        other_patients = Patient.objects.count()
    other_members = Membership.objects.filter(practice=practice_a).count()
    schema = leaving.schema_name
    suspended_days_ago(leaving, DAYS + 1)

    with django_capture_on_commit_callbacks(execute=True):
        assert purge_expired_practices() == ["leaving"]

    assert not schema_exists(schema)
    assert not Practice.objects.filter(slug="leaving").exists()
    assert not Domain.objects.filter(domain=host_of(leaving)).exists()
    assert not Membership.objects.filter(user__email="owner@leaving.example").exists()
    assert not BillingCompanyAccess.objects.filter(practice_id=leaving.pk).exists()
    assert not (Path(settings.MEDIA_ROOT) / schema).exists()
    # The person's login stays (it may belong to other practices); the host no longer routes.
    assert UserFactory._meta.model.objects.filter(email="owner@leaving.example").exists()
    assert Client(HTTP_HOST=host_of(leaving)).get("/").status_code == 404
    # Nothing of another practice went with it.
    with tenant_context(practice_a):
        assert Patient.objects.count() == other_patients
    assert Membership.objects.filter(practice=practice_a).count() == other_members
    assert schema_exists(practice_a.schema_name)
    assert connection.schema_name == "public"  # type: ignore[attr-defined]


def test_the_command_lists_then_purges_and_shows_the_record(leaving: Practice) -> None:
    suspended_days_ago(leaving, DAYS + 3)
    out = StringIO()
    call_command("purge_expired_practices", "--dry-run", stdout=out)
    assert "would purge leaving" in out.getvalue() and schema_exists(leaving.schema_name)
    out = StringIO()
    call_command("purge_expired_practices", stdout=out)
    assert "purged leaving" in out.getvalue() and not schema_exists(leaving.schema_name)

    (record,) = PracticePurge.objects.all()
    assert record.purged_by == "command:purge_expired_practices"
    out = StringIO()
    call_command("purge_expired_practices", "--record", f"Leaving.{settings.BASE_DOMAIN}", stdout=out)
    shown = out.getvalue()
    assert f"leaving (practice id {leaving.pk}, schema {leaving.schema_name})" in shown
    assert f"after {DAYS} days' retention, by command:purge_expired_practices." in shown
    out = StringIO()
    call_command("purge_expired_practices", "--record", "never-here", stdout=out)
    assert out.getvalue().strip() == "No purge recorded for never-here."


def test_the_purge_leaves_a_public_record_of_when_and_by_what_without_practice_data(
    leaving: Practice,
) -> None:
    suspended_days_ago(leaving, DAYS + 1)
    ended, practice_id = leaving.suspended_at, leaving.pk
    before = timezone.now()

    assert tasks.purge_expired_practices() == ["leaving"]

    (record,) = PracticePurge.objects.all()
    assert (record.practice_id, record.slug, record.schema_name) == (practice_id, "leaving", "p_leaving")
    assert record.subscription_ended_at == ended and record.retention_days == DAYS
    assert before <= record.purged_at <= timezone.now()
    assert record.purged_by == "task:tenants.tasks.purge_expired_practices"
    # Identifiers and bookkeeping only: a field added here must not carry the practice's data.
    assert {field.name for field in PracticePurge._meta.get_fields()} == {
        "id",
        "practice_id",
        "slug",
        "schema_name",
        "subscription_ended_at",
        "retention_days",
        "purged_at",
        "purged_by",
    }
    assert "Leaving Clinic" not in str(PracticePurge.objects.values().get())
