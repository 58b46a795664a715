"""Cancelling, rescheduling and the status lifecycle, with the practice's online-change policy."""

import datetime
from typing import Any

import pytest

from practica.audit.context import Actor, current_actor
from practica.audit.models import AuditEvent
from practica.scheduling.booking import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_status,
)
from practica.scheduling.errors import InvalidTransition, SchedulingError, SlotUnavailable
from practica.scheduling.models import Appointment, SchedulingPolicy
from practica.scheduling.policies import current_policy
from tests.factories import Clinic, PatientFactory
from tests.scheduling.conftest import NOW, local

Status = Appointment.Status
# Monday 9 March 09:00 in New York: 24-hour cutoff starts Sunday 8 March 09:00.
VISIT = local(3, 9, 9)
OUTSIDE_CUTOFF = VISIT - datetime.timedelta(hours=30)
INSIDE_CUTOFF = VISIT - datetime.timedelta(hours=3)


def booked(clinic: Clinic, start: datetime.datetime = VISIT, source: str = "portal") -> Appointment:
    return book_appointment(
        patient=PatientFactory.create(),
        appointment_type=clinic.visit,
        provider=clinic.provider,
        location=clinic.location,
        start=start,
        source=source,
        now=NOW,
    ).appointment


def set_late_policy(late_cancel: str) -> None:
    policy = current_policy()
    policy.late_cancel = late_cancel
    policy.save()


class TestCancel:
    def test_patient_cancels_online_before_the_cutoff(self, clinic: Clinic) -> None:
        appointment = cancel_appointment(
            booked(clinic), by_patient=True, reason="Feeling better", now=OUTSIDE_CUTOFF
        )
        assert appointment.status == Status.CANCELLED_BY_PATIENT and not appointment.late_cancel
        assert appointment.cancellation_reason == "Feeling better"

    def test_inside_the_cutoff_a_refusing_practice_refuses_clearly(self, clinic: Clinic) -> None:
        set_late_policy(SchedulingPolicy.LateCancel.REFUSE)
        appointment = booked(clinic)
        with pytest.raises(SchedulingError, match="Online changes close 24 hours before") as refused:
            cancel_appointment(appointment, by_patient=True, now=INSIDE_CUTOFF)
        assert refused.value.code == "inside_cutoff"
        appointment.refresh_from_db()
        assert appointment.status == Status.BOOKED

    def test_inside_the_cutoff_a_flagging_practice_records_a_late_cancel(self, clinic: Clinic) -> None:
        set_late_policy(SchedulingPolicy.LateCancel.FLAG)
        appointment = cancel_appointment(booked(clinic), by_patient=True, now=INSIDE_CUTOFF)
        assert appointment.status == Status.CANCELLED_BY_PATIENT and appointment.late_cancel

    def test_the_cutoff_follows_the_policy_hours(self, clinic: Clinic) -> None:
        policy = current_policy()
        policy.cancel_cutoff_hours = 2
        policy.save()
        appointment = cancel_appointment(booked(clinic), by_patient=True, now=INSIDE_CUTOFF)
        assert appointment.status == Status.CANCELLED_BY_PATIENT and not appointment.late_cancel

    def test_staff_cancel_any_time_and_flag_only_a_patients_late_call(self, clinic: Clinic) -> None:
        appointment = cancel_appointment(
            booked(clinic), by_patient=False, reason="Provider ill", now=INSIDE_CUTOFF
        )
        assert appointment.status == Status.CANCELLED_BY_PRACTICE and not appointment.late_cancel
        phoned = cancel_appointment(
            booked(clinic, local(3, 9, 10)),
            by_patient=False,
            status=Status.CANCELLED_BY_PATIENT,
            now=INSIDE_CUTOFF,
        )
        # The patient phoned inside the cutoff: recorded, and flagged late so staff can decide on a fee.
        assert phoned.status == Status.CANCELLED_BY_PATIENT and phoned.late_cancel

    def test_patients_cannot_cancel_once_it_started_or_twice(self, clinic: Clinic) -> None:
        appointment = booked(clinic)
        set_late_policy(SchedulingPolicy.LateCancel.FLAG)
        with pytest.raises(SchedulingError, match="already started"):
            cancel_appointment(appointment, by_patient=True, now=VISIT + datetime.timedelta(minutes=5))
        cancel_appointment(appointment, by_patient=True, now=OUTSIDE_CUTOFF)
        with pytest.raises(InvalidTransition, match="cannot become cancelled"):
            cancel_appointment(appointment, by_patient=False, now=OUTSIDE_CUTOFF)


class TestReschedule:
    def test_moving_books_the_new_time_and_links_the_old(self, clinic: Clinic) -> None:
        old = booked(clinic)
        booking = reschedule_appointment(
            old, start=VISIT + datetime.timedelta(minutes=15), source="portal", now=OUTSIDE_CUTOFF
        )
        old.refresh_from_db()
        assert old.status == Status.RESCHEDULED and not old.late_cancel
        assert booking.appointment.rescheduled_from_id == old.pk
        assert booking.appointment.start == VISIT + datetime.timedelta(minutes=15)  # overlaps the old time
        assert booking.appointment.patient_id == old.patient_id

    def test_inside_the_cutoff_patients_are_refused_or_flagged(self, clinic: Clinic) -> None:
        old = booked(clinic)
        set_late_policy(SchedulingPolicy.LateCancel.REFUSE)
        with pytest.raises(SchedulingError, match="Online changes close"):
            reschedule_appointment(old, start=local(3, 10, 9), source="portal", now=INSIDE_CUTOFF)
        set_late_policy(SchedulingPolicy.LateCancel.FLAG)
        reschedule_appointment(old, start=local(3, 10, 9), source="portal", now=INSIDE_CUTOFF)
        old.refresh_from_db()
        assert old.status == Status.RESCHEDULED and old.late_cancel

    def test_staff_reschedule_inside_the_cutoff(self, clinic: Clinic) -> None:
        old = booked(clinic)
        reschedule_appointment(old, start=local(3, 10, 9), source="staff", now=INSIDE_CUTOFF)
        old.refresh_from_db()
        assert old.status == Status.RESCHEDULED and not old.late_cancel

    def test_a_refused_new_time_leaves_the_old_appointment_alone(self, clinic: Clinic) -> None:
        old = booked(clinic)
        booked(clinic, local(3, 10, 9))
        with pytest.raises(SlotUnavailable):
            reschedule_appointment(old, start=local(3, 10, 9), source="staff", now=OUTSIDE_CUTOFF)
        with pytest.raises(SchedulingError, match="working hours"):
            reschedule_appointment(old, start=local(3, 10, 20), source="portal", now=OUTSIDE_CUTOFF)
        old.refresh_from_db()
        assert old.status == Status.BOOKED


class TestLifecycle:
    def test_a_visit_goes_from_booked_to_completed(self, clinic: Clinic) -> None:
        appointment = booked(clinic)
        for status in (Status.CONFIRMED, Status.CHECKED_IN, Status.IN_ROOM, Status.COMPLETED):
            appointment = set_status(appointment, status, now=VISIT)
            assert Appointment.objects.get(pk=appointment.pk).status == status

    def test_check_in_can_be_undone(self, clinic: Clinic) -> None:
        appointment = set_status(booked(clinic), Status.CHECKED_IN, now=VISIT)
        assert set_status(appointment, Status.BOOKED, now=VISIT).status == Status.BOOKED

    @pytest.mark.parametrize(
        ("path", "refused"),
        [
            ([Status.CONFIRMED, Status.CHECKED_IN, Status.COMPLETED], Status.BOOKED),
            ([Status.CANCELLED_BY_PRACTICE], Status.CONFIRMED),
            ([Status.NO_SHOW], Status.CHECKED_IN),
            ([], Status.IN_ROOM),
            ([], Status.COMPLETED),
        ],
    )
    def test_moves_outside_the_lifecycle_are_refused(
        self, clinic: Clinic, path: list[str], refused: str
    ) -> None:
        appointment = booked(clinic)
        for status in path:
            appointment = set_status(appointment, status, now=VISIT + datetime.timedelta(minutes=20))
        with pytest.raises(InvalidTransition, match="cannot become"):
            set_status(appointment, refused, now=VISIT)

    def test_no_show_only_after_the_start_and_reschedule_needs_a_time(self, clinic: Clinic) -> None:
        appointment = booked(clinic)
        with pytest.raises(InvalidTransition, match="before it starts"):
            set_status(appointment, Status.NO_SHOW, now=VISIT - datetime.timedelta(minutes=1))
        with pytest.raises(InvalidTransition, match="choose the new time"):
            set_status(appointment, Status.RESCHEDULED, now=VISIT)
        with pytest.raises(InvalidTransition, match="Unknown status"):
            set_status(appointment, "teleported", now=VISIT)
        assert (
            set_status(appointment, Status.NO_SHOW, now=VISIT + datetime.timedelta(minutes=15)).status
            == "no_show"
        )

    def test_a_no_show_or_cancellation_frees_the_time(self, clinic: Clinic) -> None:
        appointment = set_status(
            booked(clinic), Status.CANCELLED_BY_PRACTICE, reason="Closed", now=OUTSIDE_CUTOFF
        )
        assert (
            appointment.status == Status.CANCELLED_BY_PRACTICE and appointment.cancellation_reason == "Closed"
        )
        assert booked(clinic).start == VISIT

    def test_every_status_change_is_audited_with_its_actor(self, clinic: Clinic, in_practice: Any) -> None:
        token = current_actor.set(Actor(user_id=99, email="desk@example.com", role="front_desk"))
        try:
            appointment = booked(clinic, source="staff")
            set_status(appointment, Status.CONFIRMED, now=VISIT)
            set_status(appointment, Status.CHECKED_IN, now=VISIT)
            cancel_appointment(booked(clinic, local(3, 10, 9)), by_patient=False, now=OUTSIDE_CUTOFF)
        finally:
            current_actor.reset(token)
        events = AuditEvent.objects.filter(
            object_type="scheduling.appointment", object_id=str(appointment.pk)
        )
        assert events.filter(action=AuditEvent.Action.CREATE).count() == 1
        updates = list(events.filter(action=AuditEvent.Action.UPDATE).order_by("id"))
        assert [e.changed_fields for e in updates] == [["status"], ["status"]]
        assert {(e.actor_id, e.actor_email, e.actor_role) for e in updates} == {
            (99, "desk@example.com", "front_desk")
        }
        cancelled = AuditEvent.objects.filter(
            action=AuditEvent.Action.UPDATE, changed_fields__contains=["status"]
        )
        assert cancelled.exclude(object_id=str(appointment.pk)).count() == 1
