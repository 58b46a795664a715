"""Messaging rules: encryption at rest and key rotation, roles, notes, closing, read receipts."""

import io
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from notifications.delivery import send_due
from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.messaging import crypto, selectors, services
from practica.messaging.errors import MessagingError, NotAllowed
from practica.messaging.models import Message, Thread
from tests.conftest import staff
from tests.messaging.conftest import Side


def _raw_body(message_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body_ciphertext FROM messaging_message WHERE id = %s", [message_id])
        return str(cursor.fetchone()[0])


def test_bodies_are_not_stored_in_plain_text(side_a: Side) -> None:
    with tenant_context(side_a.practice):
        message = services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "My rash is worse")
        raw = _raw_body(message.pk)
        assert "My rash is worse" not in raw and "rash" not in raw
        assert raw.startswith("gAAAAA")  # a Fernet token (version byte 0x80, then a timestamp)
        assert Message.objects.get(pk=message.pk).body == "My rash is worse"


def test_rotation_keeps_old_messages_readable_and_reencrypt_moves_them_to_the_new_key(side_a: Side) -> None:
    # From the development default (no keys configured) to a configured key, as a deployment would.
    old_key, new_key = crypto.derived_key(settings.SECRET_KEY).decode(), Fernet.generate_key().decode()
    with tenant_context(side_a.practice):
        with override_settings(MESSAGE_ENCRYPTION_KEYS=[]):
            message = services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "old secret")
        with override_settings(MESSAGE_ENCRYPTION_KEYS=[new_key, old_key]):
            assert Message.objects.get(pk=message.pk).body == "old secret"
            call_command("reencrypt_messages", practice=side_a.practice.slug, stdout=io.StringIO())
        raw = _raw_body(message.pk)
        assert Fernet(new_key.encode()).decrypt(raw.encode()) == b"old secret"
        with override_settings(MESSAGE_ENCRYPTION_KEYS=[new_key]):  # the old key can now go
            assert Message.objects.get(pk=message.pk).body == "old secret"
        with override_settings(MESSAGE_ENCRYPTION_KEYS=[old_key]), pytest.raises(ValueError):
            _ = Message.objects.get(pk=message.pk).body


def test_a_biller_reads_but_cannot_reply(side_a: Side) -> None:
    biller = staff(side_a.practice, Role.BILLER)
    with tenant_context(side_a.practice):
        with pytest.raises(NotAllowed):
            services.post_staff_reply(side_a.ann_thread, biller, Role.BILLER, "hello")
        with pytest.raises(NotAllowed):
            services.add_internal_note(side_a.ann_thread, biller, Role.BILLER, "note")
        assert side_a.ann_thread.messages.count() == 1


def test_empty_or_oversized_messages_are_refused(side_a: Side) -> None:
    with tenant_context(side_a.practice):
        with pytest.raises(MessagingError, match="Write a message"):
            services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "   ")
        with pytest.raises(MessagingError, match="at most"):
            services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "x" * 5001)


def test_a_patient_cannot_write_into_another_patients_thread(side_a: Side) -> None:
    with tenant_context(side_a.practice), pytest.raises(MessagingError):
        services.post_patient_message(side_a.bob_thread, side_a.ann.patient, "hi")


def test_internal_notes_stay_out_of_the_patients_view(side_a: Side) -> None:
    with tenant_context(side_a.practice):
        services.add_internal_note(side_a.ann_thread, side_a.nurse, Role.FRONT_DESK, "call pharmacy")
        reply = services.post_staff_reply(side_a.ann_thread, side_a.nurse, Role.FRONT_DESK, "Sent it")
        patient_sees = [m.body for m in selectors.messages_for_patient(side_a.ann_thread)]
        staff_sees = [m.body for m in selectors.messages_for_staff(side_a.ann_thread)]
        assert patient_sees == ["Can I get a refill?", "Sent it"]
        assert staff_sees == ["Can I get a refill?", "call pharmacy", "Sent it"]
        first_id = side_a.ann_thread.messages.first().pk  # type: ignore[union-attr]
        assert [m.pk for m in selectors.messages_for_patient(side_a.ann_thread, first_id)] == [reply.pk]


def test_close_blocks_staff_replies_and_a_patient_message_reopens(side_a: Side) -> None:
    with tenant_context(side_a.practice):
        services.close_thread(side_a.ann_thread, Role.FRONT_DESK)
        with pytest.raises(MessagingError, match="closed"):
            services.post_staff_reply(side_a.ann_thread, side_a.nurse, Role.FRONT_DESK, "late")
        services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "still here")
        assert Thread.objects.get(pk=side_a.ann_thread.pk).status == Thread.Status.OPEN
        services.close_thread(side_a.ann_thread, Role.FRONT_DESK)
        services.reopen_thread(side_a.ann_thread, Role.FRONT_DESK)
        services.post_staff_reply(side_a.ann_thread, side_a.nurse, Role.FRONT_DESK, "ok")


def test_assign_only_to_colleagues_who_can_read_the_inbox(side_a: Side, side_b: Side) -> None:
    colleague = staff(side_a.practice, Role.CLINICIAN)
    with tenant_context(side_a.practice):
        services.assign_thread(side_a.ann_thread, side_a.practice, Role.FRONT_DESK, colleague)
        assert [t.pk for t in selectors.staff_inbox(colleague, "mine")] == [side_a.ann_thread.pk]
        assert side_a.ann_thread.pk not in [t.pk for t in selectors.staff_inbox(colleague, "unassigned")]
        with pytest.raises(MessagingError):  # staff of practice B only
            services.assign_thread(side_a.ann_thread, side_a.practice, Role.FRONT_DESK, side_b.nurse)


def test_unread_counts_and_read_receipts_per_side(side_a: Side) -> None:
    with tenant_context(side_a.practice):
        services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "second")
        unread = {t.pk: t.unread for t in selectors.staff_inbox(side_a.nurse)}  # type: ignore[attr-defined]
        assert unread[side_a.ann_thread.pk] == 2
        services.mark_read_by_staff(side_a.ann_thread)
        unread = {t.pk: t.unread for t in selectors.staff_inbox(side_a.nurse)}  # type: ignore[attr-defined]
        assert unread[side_a.ann_thread.pk] == 0
        services.post_staff_reply(side_a.ann_thread, side_a.nurse, Role.FRONT_DESK, "answer")
        mine = selectors.patient_threads(side_a.ann.patient).get()
        assert mine.unread == 1  # type: ignore[attr-defined]
        services.mark_read_by_patient(side_a.ann_thread)
        thread = Thread.objects.get(pk=side_a.ann_thread.pk)
        assert thread.patient_read_at is not None and thread.staff_read_at is not None
        assert selectors.patient_threads(side_a.ann.patient).get().unread == 0  # type: ignore[attr-defined]


@override_settings(MESSAGING_PATIENT_RATE=4)
def test_a_patient_cannot_flood_the_inbox(side_a: Side) -> None:
    with tenant_context(side_a.practice):  # Ann's first message (the fixture's) counts too
        for text in ("one", "two", "three"):
            services.post_patient_message(side_a.ann_thread, side_a.ann.patient, text)
        with pytest.raises(MessagingError, match="many messages"):
            services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "four")
        with pytest.raises(MessagingError, match="many messages"):
            services.start_thread(side_a.ann.patient, "five")
        services.post_patient_message(side_a.bob_thread, side_a.bob.patient, "Bob is not limited")


def test_the_inbox_query_count_does_not_grow_with_threads(
    side_a: Side, django_assert_num_queries: Any
) -> None:
    with tenant_context(side_a.practice):
        for number in range(5):
            services.start_thread(side_a.bob.patient, f"question {number}")
        # One query for threads, patients, assignees and counts (the search_path is already set).
        with django_assert_num_queries(1):
            inbox = list(selectors.staff_inbox(side_a.nurse))
            rows = [(t.patient.first_name, t.unread, t.assigned_to) for t in inbox]  # type: ignore[attr-defined]
        assert len(rows) == 7


def test_the_patient_is_emailed_that_there_is_a_message_never_what_it_says(
    side_a: Side, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    thread = side_a.ann_thread
    with tenant_context(side_a.practice):
        with django_capture_on_commit_callbacks(execute=True):
            services.post_staff_reply(thread, side_a.nurse, Role.FRONT_DESK, "Your biopsy result is fine")
        with django_capture_on_commit_callbacks(execute=True):  # still unread: no second email
            services.post_staff_reply(thread, side_a.nurse, Role.FRONT_DESK, "Also, dermatology next week")
        assert mailoutbox == []  # an outbox row, sent by the notification workers
        send_due()
        assert len(mailoutbox) == 1
        email = mailoutbox[0]
        assert email.to == [side_a.ann.patient.email]
        assert f"/portal/messages/{thread.pk}/" in email.body
        for clinical in ("biopsy", "dermatology", "result"):
            assert clinical not in email.body.lower() and clinical not in email.subject.lower()
        services.mark_read_by_patient(thread)
        with django_capture_on_commit_callbacks(execute=True):
            services.post_staff_reply(thread, side_a.nurse, Role.FRONT_DESK, "One more thing")
        send_due()
        assert len(mailoutbox) == 2
        with django_capture_on_commit_callbacks(execute=True):  # notes never email anyone
            services.add_internal_note(thread, side_a.nurse, Role.FRONT_DESK, "note")
        send_due()
        assert len(mailoutbox) == 2


def test_a_patients_message_is_stored_and_its_thread_updated_in_one_statement_each(
    side_a: Side, django_assert_num_queries: Any
) -> None:
    """The hot path of live messaging: no lock, no re-read of the thread (the patient's rate is
    counted in Redis, not here)."""
    with tenant_context(side_a.practice):
        side_a.ann_thread.status = Thread.Status.CLOSED
        side_a.ann_thread.save(update_fields=["status"])
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with django_assert_num_queries(4) as queries:
            message = services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "One more thing")
        statements = [query["sql"].split()[0] for query in queries.captured_queries]
        tables = [query["sql"].split('"')[1] for query in queries.captured_queries[1:3]]
        # The message, the thread's times and status; in a transaction. The audit rows of both are
        # written by the database's triggers, in the same statements.
        assert statements == ["SAVEPOINT", "INSERT", "UPDATE", "RELEASE"]
        assert tables == ["messaging_message", "messaging_thread"]
        audited = AuditEvent.objects.filter(id__gt=before).values_list("object_type", "action", "object_id")
        assert sorted(audited) == [
            ("messaging.message", "create", str(message.pk)),
            ("messaging.thread", "update", str(side_a.ann_thread.pk)),
        ]
        thread = Thread.objects.get(pk=side_a.ann_thread.pk)
        assert thread.status == Thread.Status.OPEN  # writing again reopened it
        assert thread.last_message_at == thread.patient_read_at == message.created_at
