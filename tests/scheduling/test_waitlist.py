"""Waitlist: freed time goes to the first waiting patients by email; the first claim wins."""

import datetime
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from notifications.delivery import send_due
from notifications.models import Kind, Notification
from practica.scheduling.availability import add_extra_hours
from practica.scheduling.booking import book_appointment, cancel_appointment, reschedule_appointment
from practica.scheduling.errors import SchedulingError, SlotUnavailable
from practica.scheduling.models import Appointment, WaitlistEntry, WaitlistOffer
from practica.scheduling.policies import current_policy
from practica.scheduling.waitlist import (
    claim_offer,
    claim_token,
    join_waitlist,
    leave_waitlist,
    offer_from_token,
)
from tests.factories import Clinic, PatientFactory, ProviderFactory
from tests.scheduling.conftest import NOW, local

VISIT = local(3, 10, 9)
DETAIL = "Colposcopy"  # a clinical detail that must never appear in a message


@pytest.fixture
def visit_type(clinic: Clinic) -> Clinic:
    clinic.visit.name = DETAIL
    clinic.visit.save()
    return clinic


def waiting(clinic: Clinic, count: int, **kwargs: Any) -> list[WaitlistEntry]:
    kwargs.setdefault("earliest", local(3, 9))
    kwargs.setdefault("latest", local(3, 14))
    return [
        join_waitlist(
            patient=PatientFactory.create(email=f"wait{i}@example.com"),
            appointment_type=clinic.visit,
            now=NOW,
            **kwargs,
        )
        for i in range(count)
    ]


def booked(clinic: Clinic) -> Appointment:
    return book_appointment(
        patient=PatientFactory.create(),
        appointment_type=clinic.visit,
        provider=clinic.provider,
        location=clinic.location,
        start=VISIT,
        source="staff",
        now=NOW,
    ).appointment


def delivered() -> list[EmailMessage]:
    """What the notification workers send at NOW to the waiting patients (wait<i>@example.com)."""
    send_due(now=NOW)
    return [message for message in mail.outbox if message.to[0].startswith("wait")]


def cancel_and_offer(appointment: Appointment, capture: Any) -> None:
    with capture(execute=True):
        cancel_appointment(appointment, by_patient=False, now=NOW)


def test_a_cancellation_is_offered_to_the_first_few_waiting_patients(
    visit_type: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    clinic = visit_type
    entries = waiting(clinic, 4)
    cancel_and_offer(booked(clinic), django_capture_on_commit_callbacks)

    offers = list(WaitlistOffer.objects.order_by("created_at"))
    assert len(offers) == current_policy().waitlist_offer_count == 3
    assert {offer.entry_id for offer in offers} == {entry.pk for entry in entries[:3]}
    assert {o.start for o in offers} == {VISIT} and all(o.status == WaitlistOffer.Status.OPEN for o in offers)
    assert [WaitlistEntry.objects.get(pk=e.pk).status for e in entries] == ["offered"] * 3 + ["waiting"]
    assert mail.outbox == []  # planned with the offers, sent by the workers
    sent = delivered()
    assert sorted(message.to[0] for message in sent) == [f"wait{i}@example.com" for i in range(3)]
    body = sent[0].body
    assert "/book/waitlist/" in body and "Tuesday 10 March" in body and "9:00 AM" in body
    assert DETAIL not in body and DETAIL not in sent[0].subject


def test_only_matching_entries_are_offered(clinic: Clinic, django_capture_on_commit_callbacks: Any) -> None:
    other_provider = ProviderFactory.create()
    (mine,) = waiting(clinic, 1, provider=clinic.provider)
    waiting(clinic, 1, provider=other_provider)
    waiting(clinic, 1, earliest=local(3, 11), latest=local(3, 12))  # window after the freed time
    cancel_and_offer(booked(clinic), django_capture_on_commit_callbacks)
    assert [offer.entry_id for offer in WaitlistOffer.objects.all()] == [mine.pk]


def test_a_reschedule_offers_the_time_it_left(
    clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    waiting(clinic, 1)
    with django_capture_on_commit_callbacks(execute=True):
        reschedule_appointment(booked(clinic), start=local(3, 11, 9), source="staff", now=NOW)
    assert WaitlistOffer.objects.get().start == VISIT


def test_new_extra_hours_are_offered(clinic: Clinic, django_capture_on_commit_callbacks: Any) -> None:
    waiting(clinic, 1, earliest=local(3, 7), latest=local(3, 8))
    with django_capture_on_commit_callbacks(execute=True):
        add_extra_hours(clinic.provider, clinic.location, local(3, 7, 10), local(3, 7, 12), now=NOW)
    offer = WaitlistOffer.objects.get()
    assert offer.start == local(3, 7, 10) and len(delivered()) == 1


def test_the_first_claim_wins_and_the_others_are_told(
    visit_type: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    clinic = visit_type
    entries = waiting(clinic, 3)
    cancel_and_offer(booked(clinic), django_capture_on_commit_callbacks)
    first, second, third = (WaitlistOffer.objects.get(entry=entry) for entry in entries)
    delivered()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        booking = claim_offer(second, now=NOW)
    assert booking.appointment.patient_id == entries[1].patient_id
    assert booking.appointment.source == Appointment.Source.PORTAL
    assert WaitlistOffer.objects.get(pk=second.pk).status == WaitlistOffer.Status.CLAIMED
    assert {WaitlistOffer.objects.get(pk=o.pk).status for o in (first, third)} == {"gone"}
    assert [WaitlistEntry.objects.get(pk=e.pk).status for e in entries] == ["waiting", "booked", "waiting"]
    told = [m for m in delivered() if "has been taken" in m.subject]
    assert sorted(m.to[0] for m in told) == ["wait0@example.com", "wait2@example.com"]
    assert all(DETAIL not in m.body for m in told)


def test_an_offer_claimed_before_the_workers_send_it_is_not_sent(
    clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    """The outbox checks an offer is still open when it sends: the others get "taken", never a link
    to a time that is gone."""
    entries = waiting(clinic, 2)
    cancel_and_offer(booked(clinic), django_capture_on_commit_callbacks)
    first, second = (WaitlistOffer.objects.get(entry=entry) for entry in entries)
    claim_offer(first, now=NOW)
    sent = delivered()
    assert [(m.to[0], m.subject) for m in sent if m.to[0] == "wait1@example.com"] == [
        ("wait1@example.com", "The appointment you were offered has been taken")
    ]
    withdrawn = Notification.objects.get(waitlist_offer=second, kind=Kind.WAITLIST_OFFER)
    assert (withdrawn.state, withdrawn.error_code) == (Notification.State.CANCELLED, "offer_closed")

    with pytest.raises(SlotUnavailable, match="no longer available"):
        claim_offer(first, now=NOW)


def test_expired_offers_cannot_be_claimed(clinic: Clinic, django_capture_on_commit_callbacks: Any) -> None:
    (entry,) = waiting(clinic, 1)
    cancel_and_offer(booked(clinic), django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get()
    late = offer.expires_at + datetime.timedelta(seconds=1)
    with pytest.raises(SchedulingError, match="expired") as refused:
        claim_offer(offer, now=late)
    assert refused.value.code == "expired"
    assert WaitlistOffer.objects.get().status == WaitlistOffer.Status.EXPIRED
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistEntry.Status.WAITING
    assert not Appointment.objects.filter(patient_id=entry.patient_id).exists()


def test_a_claim_fails_cleanly_when_staff_took_the_time(
    clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    waiting(clinic, 2)
    cancel_and_offer(booked(clinic), django_capture_on_commit_callbacks)
    booked(clinic)  # the front desk books the freed time by phone
    offer = WaitlistOffer.objects.first()
    assert offer is not None
    with pytest.raises(SlotUnavailable):
        claim_offer(offer, now=NOW)
    assert set(WaitlistOffer.objects.values_list("status", flat=True)) == {"gone"}
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {"waiting"}


def test_leaving_withdraws_open_offers_and_their_claims_are_refused(
    clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    leaver, stayer = waiting(clinic, 2)
    cancel_and_offer(booked(clinic), django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get(entry=leaver)

    withdrawn = leave_waitlist(leaver)
    assert [o.pk for o in withdrawn] == [offer.pk]
    assert WaitlistEntry.objects.get(pk=leaver.pk).status == WaitlistEntry.Status.CANCELLED
    assert WaitlistOffer.objects.get(pk=offer.pk).status == WaitlistOffer.Status.WITHDRAWN
    with pytest.raises(SchedulingError, match="withdrawn") as refused:
        claim_offer(offer, now=NOW)
    assert refused.value.code == "withdrawn"
    assert not Appointment.objects.filter(patient_id=leaver.patient_id).exists()
    # The other patient's offer for the same time is untouched and still claimable.
    claim_offer(WaitlistOffer.objects.get(entry=stayer), now=NOW)
    with pytest.raises(SchedulingError) as again:
        leave_waitlist(stayer)  # booked now: nothing to leave
    assert again.value.code == "not_waiting"
    with pytest.raises(SchedulingError):
        leave_waitlist(leaver)


def test_a_claim_checks_the_entry_is_still_on_the_list(
    clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    """An entry cancelled without leave_waitlist (as the API did) left its offer open."""
    (entry,) = waiting(clinic, 1)
    cancel_and_offer(booked(clinic), django_capture_on_commit_callbacks)
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.CANCELLED)
    offer = WaitlistOffer.objects.get()
    with pytest.raises(SchedulingError) as refused:
        claim_offer(offer, now=NOW)
    assert refused.value.code == "withdrawn"
    assert WaitlistOffer.objects.get().status == WaitlistOffer.Status.WITHDRAWN
    assert not Appointment.objects.filter(patient_id=entry.patient_id).exists()


def test_claim_tokens_are_signed_and_bound_to_the_practice(
    clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    waiting(clinic, 1)
    cancel_and_offer(booked(clinic), django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get()
    token = claim_token(offer)
    found = offer_from_token(token)
    assert found is not None and found.pk == offer.pk
    assert offer_from_token(token[:-2] + "xx") is None


def test_joining_needs_a_future_ordered_window(clinic: Clinic) -> None:
    patient = PatientFactory.create()
    with pytest.raises(SchedulingError, match="after its start"):
        join_waitlist(
            patient=patient, appointment_type=clinic.visit, earliest=local(3, 10), latest=local(3, 9), now=NOW
        )
    with pytest.raises(SchedulingError, match="already over"):
        join_waitlist(
            patient=patient,
            appointment_type=clinic.visit,
            earliest=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
            latest=datetime.datetime(2020, 1, 2, tzinfo=datetime.UTC),
        )
