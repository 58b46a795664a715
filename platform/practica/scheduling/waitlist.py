"""Waitlist: when a slot frees up, offer it to the first few waiting patients; first claim wins.

- join_waitlist(patient=, appointment_type=, earliest=, latest=, provider=None, now=None)
- leave_waitlist(entry): off the list; its open offers are withdrawn (every surface calls it)
- offer_freed_slot(appointment, now=None): called after a cancellation or reschedule commits
- offer_new_hours(provider, location, start, end, now=None): called after extra hours are added
- offer_slot(...): the common path; plans each offer's email with its claim link (the outbox)
- claim_token(offer) / offer_from_token(token): the signed link, bound to the practice
- claim_offer(offer, now=None) -> Booking: first claim wins (see its docstring for the race)
- release_expired_offers(now=None): closes offers past their time; their patients wait again
"""

import datetime
from uuid import UUID

from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from notifications.notices import plan_waitlist_offers, plan_waitlist_taken
from practica.core.tenancy import current_schema
from practica.patients.models import Patient
from practica.scheduling.booking import Booking, book_appointment
from practica.scheduling.errors import SchedulingError, SlotUnavailable
from practica.scheduling.models import (
    Appointment,
    AppointmentType,
    Location,
    Provider,
    WaitlistEntry,
    WaitlistOffer,
)
from practica.scheduling.policies import current_policy
from practica.scheduling.slots import open_slots

CLAIM_SALT = "practica.waitlist-claim"


def join_waitlist(
    *,
    patient: Patient,
    appointment_type: AppointmentType,
    earliest: datetime.datetime,
    latest: datetime.datetime,
    provider: Provider | None = None,
    now: datetime.datetime | None = None,
) -> WaitlistEntry:
    """Wait for a time of this type between `earliest` and `latest`, with one provider or any."""
    if timezone.is_naive(earliest) or timezone.is_naive(latest):
        raise SchedulingError("Give times with a time zone offset.", "invalid_time_zone")
    if latest <= earliest:
        raise SchedulingError("The end of the window must be after its start.", "invalid_range")
    if latest <= (now or timezone.now()):
        raise SchedulingError("That window is already over.", "past")
    return WaitlistEntry.objects.create(
        patient=patient,
        appointment_type=appointment_type,
        provider=provider,
        earliest=earliest,
        latest=latest,
    )


ACTIVE = (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)


def leave_waitlist(entry: WaitlistEntry) -> list[WaitlistOffer]:
    """Take the patient off the list: the entry is cancelled and its open offers withdrawn, so an
    offer already emailed can no longer be claimed. Returns the withdrawn offers.

    Locks are taken in claim_offer's order (offers by id, then the entry), so leaving while a
    sibling's claim closes this patient's offer waits for that claim instead of deadlocking.
    Raises SchedulingError (code "not_waiting") when the entry is booked or already cancelled.
    """
    with transaction.atomic():
        open_offers = list(
            WaitlistOffer.objects.select_for_update()
            .filter(entry_id=entry.pk, status=WaitlistOffer.Status.OPEN)
            .order_by("id")
        )
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status not in ACTIVE:
            raise SchedulingError(
                "This waitlist entry is no longer waiting (it was booked or cancelled).",
                "not_waiting",
            )
        # Also any offer made between the two locks above (offer_slot commits on its own).
        WaitlistOffer.objects.filter(entry_id=entry.pk, status=WaitlistOffer.Status.OPEN).update(
            status=WaitlistOffer.Status.WITHDRAWN
        )
        locked.status = WaitlistEntry.Status.CANCELLED
        locked.save(update_fields=["status"])
    entry.status = locked.status
    for offer in open_offers:
        offer.status = WaitlistOffer.Status.WITHDRAWN
    return open_offers


def claim_token(offer: WaitlistOffer) -> str:
    return signing.dumps({"offer": str(offer.pk), "schema": current_schema()}, salt=CLAIM_SALT)


def offer_from_token(token: str) -> WaitlistOffer | None:
    try:
        data = signing.loads(token, salt=CLAIM_SALT, max_age=7 * 24 * 3600)
    except signing.BadSignature:
        return None
    if data.get("schema") != current_schema():
        return None
    return (
        WaitlistOffer.objects.select_related("entry__patient", "entry__appointment_type")
        .filter(pk=data["offer"])
        .first()
    )


def release_expired_offers(now: datetime.datetime | None = None) -> int:
    """Offers past their time are closed, and their patients wait again (for the next slot)."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            WaitlistOffer.objects.select_for_update(skip_locked=True)
            .filter(status=WaitlistOffer.Status.OPEN, expires_at__lte=now)
            .values_list("pk", "entry_id")
        )
        if not expired:
            return 0
        WaitlistOffer.objects.filter(pk__in=[pk for pk, _ in expired]).update(
            status=WaitlistOffer.Status.EXPIRED
        )
        _wait_again([entry for _, entry in expired])
    return len(expired)


def _wait_again(entry_ids: list[UUID]) -> None:
    """Entries whose offer closed go back to waiting, unless they still hold another open offer."""
    still_offered = WaitlistOffer.objects.filter(entry_id=OuterRef("pk"), status=WaitlistOffer.Status.OPEN)
    WaitlistEntry.objects.filter(pk__in=entry_ids, status=WaitlistEntry.Status.OFFERED).exclude(
        Exists(still_offered)
    ).update(status=WaitlistEntry.Status.WAITING)


def offer_slot(
    *,
    appointment_type: AppointmentType,
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    end: datetime.datetime,
    exclude_patient_id: UUID | None = None,
    now: datetime.datetime | None = None,
) -> list[WaitlistOffer]:
    """Offer one open time to the first waiting patients (policy.waitlist_offer_count, oldest entry
    first) whose type, provider (or any) and window match; each gets an email with a claim link
    valid for policy.waitlist_offer_minutes. The email names the practice location and time only."""
    now = now or timezone.now()
    if start <= now:
        return []
    release_expired_offers(now)
    policy = current_policy()
    with transaction.atomic():
        waiting = WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            Q(provider__isnull=True) | Q(provider=provider),
            status=WaitlistEntry.Status.WAITING,
            appointment_type=appointment_type,
            earliest__lte=start,
            latest__gte=end,
        )
        if exclude_patient_id is not None:
            waiting = waiting.exclude(patient_id=exclude_patient_id)
        entries = list(
            waiting.select_related("patient").order_by("created_at")[: policy.waitlist_offer_count]
        )
        if not entries:
            return []
        expires = now + datetime.timedelta(minutes=policy.waitlist_offer_minutes)
        offers = WaitlistOffer.objects.bulk_create(
            WaitlistOffer(entry=entry, provider=provider, location=location, start=start, expires_at=expires)
            for entry in entries
        )
        WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in entries]).update(
            status=WaitlistEntry.Status.OFFERED
        )
        plan_waitlist_offers(offers, now)  # emailed by the notification workers once this commits
    return offers


def offer_freed_slot(freed: Appointment, now: datetime.datetime | None = None) -> list[WaitlistOffer]:
    """A cancelled or moved appointment's time, offered to the waitlist (called after commit)."""
    return offer_slot(
        appointment_type=freed.appointment_type,
        provider=freed.provider,
        location=freed.location,
        start=freed.start,
        end=freed.end,
        exclude_patient_id=freed.patient_id,
        now=now,
    )


def offer_new_hours(
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> list[WaitlistOffer]:
    """New working time (e.g. extra hours): offer its open slots to matching waiting patients, one
    open slot per waiting type, earliest first."""
    now = now or timezone.now()
    type_ids = set(
        WaitlistEntry.objects.filter(
            Q(provider__isnull=True) | Q(provider=provider),
            status=WaitlistEntry.Status.WAITING,
            earliest__lt=end,
            latest__gt=start,
        ).values_list("appointment_type_id", flat=True)
    )
    offers: list[WaitlistOffer] = []
    for appointment_type in AppointmentType.objects.filter(pk__in=type_ids, is_active=True):
        try:
            slots = open_slots(appointment_type, start, end, provider=provider, location=location, now=now)
        except SchedulingError:
            continue  # this provider does not offer the type here
        for slot in slots:
            made = offer_slot(
                appointment_type=appointment_type,
                provider=provider,
                location=location,
                start=slot.start,
                end=slot.end,
                now=now,
            )
            if made:
                offers += made
                break
    return offers


def claim_offer(offer: WaitlistOffer, now: datetime.datetime | None = None) -> Booking:
    """The first claim books the slot; the other offers for it close and their patients are told.

    The race: several patients offered the same freed time click their links at once. Each
    claim first locks every offer for that time (same provider and start) in id order with
    SELECT ... FOR UPDATE, so claims for one time run one after another and the later ones find
    their offer already gone. Without it each would lock only its own offer, both would try to
    book, and the winner, closing the loser's offer, would deadlock with the loser waiting on the
    winner's appointment row. The exclusion constraint stays the last word: if staff booked the
    time meanwhile, the claim fails with SlotUnavailable and all the offers close.

    An offer whose patient has left the waitlist is refused (code "withdrawn"), even one that
    leave_waitlist did not close (entries cancelled before it existed).

    Raises SlotUnavailable ("already taken") or SchedulingError (code "expired" or "withdrawn").
    """
    now = now or timezone.now()
    failure: SchedulingError | None = None
    gone: list[WaitlistOffer] = []
    booking: Booking | None = None
    with transaction.atomic():
        siblings = list(
            WaitlistOffer.objects.select_for_update(of=("self",))
            .filter(provider_id=offer.provider_id, start=offer.start)
            .select_related("entry__patient", "entry__appointment_type", "location", "provider")
            .order_by("id")
        )
        locked = next(sibling for sibling in siblings if sibling.pk == offer.pk)
        if (
            locked.status == WaitlistOffer.Status.WITHDRAWN
            or locked.entry.status == WaitlistEntry.Status.CANCELLED
        ):
            if locked.status == WaitlistOffer.Status.OPEN:
                locked.status = WaitlistOffer.Status.WITHDRAWN
                locked.save(update_fields=["status"])
            failure = SchedulingError("This offer was withdrawn: the patient left the waitlist.", "withdrawn")
        elif locked.status != WaitlistOffer.Status.OPEN:
            failure = SlotUnavailable(
                "Sorry, this slot is no longer available: someone else claimed it first."
            )
            if locked.status == WaitlistOffer.Status.EXPIRED:
                failure = SchedulingError("This offer has expired.", "expired")
        elif locked.expires_at <= now:
            locked.status = WaitlistOffer.Status.EXPIRED
            locked.save(update_fields=["status"])
            _wait_again([locked.entry_id])
            failure = SchedulingError("This offer has expired.", "expired")
        else:
            entry = locked.entry
            try:
                booking = book_appointment(
                    patient=entry.patient,
                    appointment_type=entry.appointment_type,
                    provider=locked.provider,
                    location=locked.location,
                    start=locked.start,
                    source=Appointment.Source.PORTAL,
                    now=now,
                )
            except SchedulingError as refused:
                failure = refused
            else:
                locked.status = WaitlistOffer.Status.CLAIMED
                locked.appointment = booking.appointment
                locked.save(update_fields=["status", "appointment"])
                entry.status = WaitlistEntry.Status.BOOKED
                entry.save(update_fields=["status"])
            # Claimed or not bookable any more: every other open offer for this time is gone.
            gone = [s for s in siblings if s.pk != locked.pk and s.status == WaitlistOffer.Status.OPEN]
            if failure is not None:
                gone.append(locked)
            WaitlistOffer.objects.filter(pk__in=[s.pk for s in gone]).update(status=WaitlistOffer.Status.GONE)
            _wait_again([s.entry_id for s in gone])
            others = [s for s in gone if s.pk != locked.pk]
            plan_waitlist_taken(others, now)
    if failure is not None:
        raise failure
    assert booking is not None
    return booking
