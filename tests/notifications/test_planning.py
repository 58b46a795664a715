"""Planned notifications follow bookings, reschedules and cancellations, in the same transaction."""

import datetime
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.db import connection, transaction

from notifications.models import Channel, Kind, Notification, ReminderRule
from notifications.policy import current_policy
from notifications.reminders import appointment_changed
from notifications.routing.models import PracticeDueWork
from practica.scheduling.booking import cancel_appointment, reschedule_appointment
from practica.scheduling.models import Appointment, AppointmentType
from tenants.models import Practice
from tests.factories import Clinic
from tests.notifications.conftest import local

State = Notification.State


def planned(appointment: Appointment) -> set[tuple[str, str, datetime.datetime, str]]:
    return {
        (n.kind, n.channel, n.due_at, n.state) for n in Notification.objects.filter(appointment=appointment)
    }


def test_booking_plans_default_reminders_and_a_confirmation(alpha: Clinic) -> None:
    start = local(5, 15)
    appointment = alpha.book(start)
    rows = list(Notification.objects.filter(appointment=appointment, kind=Kind.REMINDER).order_by("due_at"))
    assert [(r.channel, start - r.due_at) for r in rows] == [
        (Channel.EMAIL, datetime.timedelta(hours=72)),
        (Channel.SMS, datetime.timedelta(hours=24)),
        (Channel.SMS, datetime.timedelta(hours=2)),
    ]
    assert all(r.state == State.SCHEDULED for r in rows)
    confirmations = Notification.objects.filter(appointment=appointment, kind=Kind.CONFIRMATION)
    assert {c.channel for c in confirmations} == {Channel.SMS, Channel.EMAIL}


def test_booking_registers_due_work_in_the_public_index(alpha: Clinic) -> None:
    alpha.book(local(5, 15))
    due = PracticeDueWork.objects.get(practice=alpha.practice)
    first = Notification.objects.filter(state=State.SCHEDULED).order_by("due_at").first()
    assert first is not None
    assert due.schema_name == alpha.practice.schema_name
    assert due.next_due_at == first.due_at


def test_a_failed_booking_leaves_no_notifications(alpha: Clinic) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        alpha.book(local(5, 15))
        raise RuntimeError("booking rolled back")
    assert not Notification.objects.exists()


def test_appointment_type_rules_replace_the_practice_rules(alpha: Clinic) -> None:
    current_policy()
    ReminderRule.objects.create(offset_minutes=48 * 60, channel=Channel.SMS, appointment_type=alpha.visit)
    other = AppointmentType.objects.create(name="Check-up", duration_minutes=20, min_notice_minutes=0)
    start = local(6, 10)
    appointment = alpha.book(start)
    reminders = Notification.objects.filter(appointment=appointment, kind=Kind.REMINDER)
    assert [(r.channel, start - r.due_at) for r in reminders] == [(Channel.SMS, datetime.timedelta(hours=48))]
    assert ReminderRule.objects.filter(appointment_type__isnull=True).count() == 3
    assert other.pk  # types without rules keep the practice's three


def test_reminders_already_past_at_booking_are_not_planned(alpha: Clinic) -> None:
    appointment = alpha.book(local(1, 16))  # tomorrow: the 72 h email is already in the past
    kinds = {
        (n.channel, appointment.start - n.due_at)
        for n in appointment.notifications.filter(kind=Kind.REMINDER)
    }
    assert (Channel.EMAIL, datetime.timedelta(hours=72)) not in kinds


def test_sms_due_in_quiet_hours_moves_to_their_end(alpha: Clinic) -> None:
    start = local(5, 11)  # the 2 h SMS is at 9:00 (fine); the 24 h SMS at 11:00 the day before (fine)
    current_policy()
    ReminderRule.objects.all().delete()
    ReminderRule.objects.create(offset_minutes=13 * 60, channel=Channel.SMS)  # due 22:00 the evening before
    appointment = alpha.book(start)
    reminder = appointment.notifications.get(kind=Kind.REMINDER)
    assert reminder.state == State.SCHEDULED
    assert reminder.due_at == local(5, 8)  # 08:00 New York, when quiet hours end


def test_sms_due_in_quiet_hours_too_close_to_the_visit_is_skipped_and_recorded(alpha: Clinic) -> None:
    current_policy()
    ReminderRule.objects.all().delete()
    ReminderRule.objects.create(offset_minutes=2 * 60, channel=Channel.SMS)
    appointment = alpha.book(local(5, 8, 30))  # due 06:30, quiet until 08:00, only 30 min before
    reminder = appointment.notifications.get(kind=Kind.REMINDER)
    assert reminder.state == State.SKIPPED
    assert reminder.error_code == "quiet_hours"


def test_quiet_hours_do_not_hold_back_email(alpha: Clinic) -> None:
    current_policy()
    ReminderRule.objects.all().delete()
    ReminderRule.objects.create(offset_minutes=2 * 60, channel=Channel.EMAIL)
    appointment = alpha.book(local(5, 8, 30))
    reminder = appointment.notifications.get(kind=Kind.REMINDER)
    assert (reminder.state, reminder.due_at) == (State.SCHEDULED, local(5, 6, 30))


def test_missing_contact_details_are_recorded_as_skipped(alpha: Clinic) -> None:
    alpha.patient.phone = ""
    alpha.patient.save()
    appointment = alpha.book(local(5, 15))
    sms = appointment.notifications.filter(channel=Channel.SMS)
    assert sms.exists()
    assert {(n.state, n.error_code) for n in sms} == {(State.SKIPPED, "no_phone")}


def test_reschedule_cancels_the_old_plan_and_sends_a_notice_for_the_new_time(alpha: Clinic) -> None:
    old = alpha.book(local(5, 15))
    new = reschedule_appointment(
        old, start=local(7, 10), source=Appointment.Source.STAFF, override=True
    ).appointment
    assert {n.state for n in old.notifications.filter(kind=Kind.REMINDER)} == {State.CANCELLED}
    assert new.notifications.filter(kind=Kind.RESCHEDULED).count() == 2
    assert not new.notifications.filter(kind=Kind.CONFIRMATION).exists()
    assert new.notifications.filter(kind=Kind.REMINDER, state=State.SCHEDULED).count() == 3


def test_cancel_cancels_reminders_and_plans_a_cancellation_notice(alpha: Clinic) -> None:
    appointment = alpha.book(local(5, 15))
    cancel_appointment(appointment, by_patient=False, reason="Provider unwell")
    assert {n.state for n in appointment.notifications.filter(kind=Kind.REMINDER)} == {State.CANCELLED}
    notices = appointment.notifications.filter(kind=Kind.CANCELLED)
    assert {(n.channel, n.state) for n in notices} == {
        (Channel.SMS, State.SCHEDULED),
        (Channel.EMAIL, State.SCHEDULED),
    }


def test_policy_switches_turn_notices_off(alpha: Clinic) -> None:
    policy = current_policy()
    policy.confirm_on_booking = False
    policy.notify_on_cancel = False
    policy.save()
    appointment = alpha.book(local(5, 15))
    cancel_appointment(appointment, by_patient=False)
    assert not appointment.notifications.exclude(kind=Kind.REMINDER).exists()


def test_planning_twice_plans_nothing_twice(alpha: Clinic) -> None:
    appointment = alpha.book(local(5, 15))
    before = planned(appointment)
    assert appointment_changed(appointment) == []
    assert planned(appointment) == before


def test_practice_b_sees_none_of_practice_a_notifications(
    alpha: Clinic, practice_b: Practice, in_practice: Callable[[Practice], AbstractContextManager[None]]
) -> None:
    alpha.book(local(5, 15))
    assert Notification.objects.exists()
    with in_practice(practice_b):
        assert connection.schema_name == practice_b.schema_name  # type: ignore[attr-defined]
        assert not Notification.objects.exists()
