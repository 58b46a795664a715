"""The care-team inbox lists the conversation with the latest message first."""

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.messaging.models import Thread
from practica.messaging.services import start_thread
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_inbox_is_sorted_by_the_latest_message(practice_a: Practice) -> None:
    now = timezone.now()
    with tenant_context(practice_a):
        threads = [start_thread(PatientFactory.create(), f"Question {n}") for n in range(3)]
        for hours, thread in zip((5, 1, 3), threads, strict=True):
            Thread.objects.filter(pk=thread.pk).update(last_message_at=now - datetime.timedelta(hours=hours))
    client = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    for view in ("open", "unread"):
        shown = [thread.pk for thread in client.get(f"/messages/?view={view}").context["threads"]]
        assert shown == [threads[1].pk, threads[2].pk, threads[0].pk], view
