"""Leaving cleanly: a practice purged after its retention period leaves no row, schema, file, key,
session or socket behind; a person's deleted account leaves practices' rows pointing at no one and
their audit events anonymous but kept; the last owner of a live practice cannot be deleted.

(The retention rules themselves: tests/test_retention.py.)"""

import datetime
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django_redis import get_redis_connection
from django_tenants.utils import schema_exists, tenant_context

from notifications.routing.models import AccountEmail, PracticeDueWork
from practica.accounts.erasure import delete_account
from practica.accounts.errors import AccessError
from practica.accounts.models import BillingCompanyAccess, Membership, User
from practica.accounts.roles import Role
from practica.audit.context import acting_as, person
from practica.audit.models import AuditEvent
from practica.core import access
from practica.scheduling.models import Provider
from tenants.models import Practice, PracticePurge, StripeEvent
from tenants.retention import purge_expired_practices
from tenants.services import provision_practice, suspend_practice
from tests.conftest import signed_in_client, staff
from tests.factories import BillingCompanyFactory, PatientFactory, ProviderFactory, UserFactory
from tests.portal.conftest import make_account, portal_client

DAYS = settings.PRACTICE_DATA_RETENTION_DAYS


def public_rows_naming(practice_pk: int, schema: str) -> dict[str, int]:
    """Rows of every public model that point at the practice or carry its schema name (but the
    record of its purge, which is meant to stay)."""
    public = {app for app in settings.SHARED_APPS if app not in settings.TENANT_APPS}
    found = {}
    for model in apps.get_models():
        if model._meta.app_config.name not in public or model is PracticePurge:
            continue
        query = models.Q(pk__in=[])
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Practice:
                query |= models.Q(**{field.attname: practice_pk})
            elif isinstance(field, models.CharField) and "schema" in field.name:
                query |= models.Q(**{field.name: schema})
        count = model._base_manager.filter(query).count()
        if count:
            found[model._meta.label] = count
    sessions = [
        data
        for data in Session.objects.values_list("session_data", flat=True)
        if schema in str(SessionStore().decode(data))
    ]
    if sessions:
        found["sessions"] = len(sessions)
    return found


def test_a_purged_practice_leaves_nothing_behind(
    practice_a: Practice,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EDI_ROOT = str(tmp_path / "edi")
    practice = provision_practice(name="Leaving Clinic", slug="leaving", plan=None)
    practice.stripe_account_id = "acct_leaving"
    practice.save(update_fields=["stripe_account_id"])
    schema = practice.schema_name
    owner = staff(practice, Role.OWNER, email="owner@leaving.example")
    staff(practice_a, Role.OWNER, email="stays@alpha.example")
    BillingCompanyAccess.objects.create(company=BillingCompanyFactory.create(), practice=practice)
    PracticeDueWork.objects.create(practice=practice, schema_name=schema, next_due_at=timezone.now())
    AccountEmail.objects.create(
        to_address="pat@leaving.example", subject="s", body="b", practice_schema=schema, due_at=timezone.now()
    )
    StripeEvent.objects.create(
        id="evt_leaving",
        type="account.updated",
        endpoint="connect",
        account="acct_leaving",
        created=1,
        payload={},
    )
    signed_in_client(owner, practice)  # a staff session on its host
    with tenant_context(practice):
        ProviderFactory.create(user=owner)
        portal_client(make_account("pat@leaving.example"), practice)  # a patient's session
        cache.set("slots", [1, 2])
    with tenant_context(practice_a):
        cache.set("slots", [3])
    for root in (settings.MEDIA_ROOT, settings.EDI_ROOT):
        (Path(root) / schema / "inbox").mkdir(parents=True)
        (Path(root) / schema / "inbox" / "file").write_bytes(b"x")
    (Path(settings.EDI_ROOT) / practice_a.schema_name).mkdir(parents=True)
    access.bump([access.practice_subject(schema)])
    assert public_rows_naming(practice.pk, schema).keys() >= {"accounts.Membership", "sessions"}

    announced: list[str] = []
    monkeypatch.setattr(access, "bump", lambda subjects: announced.extend(subjects))
    suspend_practice(practice)
    Practice.objects.filter(pk=practice.pk).update(
        suspended_at=timezone.now() - datetime.timedelta(days=DAYS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_expired_practices() == ["leaving"]

    assert not schema_exists(schema)
    assert public_rows_naming(practice.pk, schema) == {}
    assert list(PracticePurge.objects.values_list("schema_name", flat=True)) == [schema]
    assert not StripeEvent.objects.filter(id="evt_leaving").exists()
    assert (
        not (Path(settings.MEDIA_ROOT) / schema).exists() and not (Path(settings.EDI_ROOT) / schema).exists()
    )
    assert (Path(settings.EDI_ROOT) / practice_a.schema_name).exists()
    redis = get_redis_connection("default")
    assert list(redis.scan_iter(match=f"{schema}:*")) == []
    assert redis.get(access.STAMP_PREFIX + access.practice_subject(schema)) is None
    assert access.practice_subject(schema) in announced  # its open sockets re-check and close
    # The person's login and the other practice are untouched.
    assert User.objects.filter(email="owner@leaving.example").exists()
    assert Membership.objects.filter(user__email="stays@alpha.example").exists()
    with tenant_context(practice_a):
        assert cache.get("slots") == [3]


@pytest.fixture
def leaver(practice_a: Practice) -> User:
    """An owner of A (beside another owner) who is a provider, has a session and audited work."""
    user = staff(practice_a, Role.OWNER, email="leaver@alpha.example")
    staff(practice_a, Role.OWNER, email="stays@alpha.example")
    signed_in_client(user, practice_a)
    actor = person(
        user_id=user.pk, email=user.email, role=Role.OWNER, ip_address="203.0.113.9", user_agent="Firefox"
    )
    with tenant_context(practice_a), acting_as(actor):
        ProviderFactory.create(user=user, display_name="Dr Leaver")
        PatientFactory.create(last_name="Kept")
    return user


def _events_by(user_id: int) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in AuditEvent.objects.filter(actor_id=user_id)
        .order_by("id")
        .values(
            "id",
            "actor_email",
            "ip_address",
            "user_agent",
            "actor_role",
            "action",
            "object_type",
            "object_id",
        )
    ]


def test_deleting_an_account_clears_references_and_anonymises_its_audit_events(
    practice_a: Practice, leaver: User
) -> None:
    with tenant_context(practice_a):
        before = _events_by(leaver.pk)
    assert before and all(event["actor_email"] == "leaver@alpha.example" for event in before)

    assert delete_account(user=leaver) == 1

    assert not User.objects.filter(pk=leaver.pk).exists()
    assert not Membership.objects.filter(user_id=leaver.pk).exists()
    assert not any(
        str(SessionStore().decode(data).get("_auth_user_id")) == str(leaver.pk)
        for data in Session.objects.values_list("session_data", flat=True)
    )
    with tenant_context(practice_a):
        assert Provider.objects.get(display_name="Dr Leaver").user_id is None  # the provider stays
        after = _events_by(leaver.pk)
        # Every event stays, with its bare actor id; what identified the person is gone.
        assert [e["id"] for e in after] == [e["id"] for e in before]
        for old, new in zip(before, after, strict=True):
            assert (new["actor_email"], new["ip_address"], new["user_agent"]) == ("", None, "")
            assert {k: v for k, v in new.items() if k not in ("actor_email", "ip_address", "user_agent")} == {
                k: v for k, v in old.items() if k not in ("actor_email", "ip_address", "user_agent")
            }
        assert AuditEvent.objects.filter(
            object_type="accounts.user", object_id=str(leaver.pk), action="delete"
        ).exists()
        assert not AuditEvent.objects.filter(actor_email="leaver@alpha.example").exists()


def test_the_trail_still_refuses_every_other_change(practice_a: Practice, leaver: User) -> None:
    with tenant_context(practice_a):
        event = AuditEvent.objects.filter(actor_id=leaver.pk).first()
        assert event is not None
        for change in (
            {"actor_email": ""},
            {"object_id": "0", "actor_email": "", "ip_address": None, "user_agent": ""},
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                if "object_id" in change:
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT set_config('practica.erase_actor', %s, true)", [str(leaver.pk)]
                        )
                AuditEvent.objects.filter(pk=event.pk).update(**change)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()


def test_the_last_owner_of_a_live_practice_is_not_deleted(practice_a: Practice) -> None:
    owner = staff(practice_a, Role.OWNER, email="only@alpha.example")
    Membership.objects.filter(practice=practice_a, role=Role.OWNER).exclude(user=owner).delete()
    with pytest.raises(AccessError, match="last owner of Alpha Clinic: make someone else owner there first"):
        delete_account(user=owner)
    assert User.objects.filter(pk=owner.pk).exists()
    with pytest.raises(CommandError, match="last owner of Alpha Clinic"):
        call_command("delete_account", "only@alpha.example")
    suspend_practice(practice_a)  # no longer live: its owner may go
    out = StringIO()
    call_command("delete_account", "ONLY@alpha.example", stdout=out)
    assert "Deleted the login only@alpha.example" in out.getvalue()
    assert not User.objects.filter(pk=owner.pk).exists()


def test_a_login_of_no_practice_is_deleted_and_a_missing_one_is_named(db: None) -> None:
    user = UserFactory.create(email="alone@example.com")
    assert delete_account(user=user) == 0
    assert not User.objects.filter(pk=user.pk).exists()
    with pytest.raises(CommandError, match=r"No login has the email nobody@example\.com"):
        call_command("delete_account", "nobody@example.com")


def test_user_delete_goes_through_the_same_erasure(practice_a: Practice) -> None:
    user = staff(practice_a, Role.MANAGER, email="manager@alpha.example")
    with tenant_context(practice_a):
        provider = ProviderFactory.create(user=user)
    user.delete()
    assert not User.objects.filter(email="manager@alpha.example").exists()
    with tenant_context(practice_a):
        provider.refresh_from_db()
        assert provider.user_id is None
