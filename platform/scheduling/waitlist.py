"""Waitlist: when a slot frees up, offer it to the first few waiting patients; first claim wins."""

import datetime
from zoneinfo import ZoneInfo

from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.links import practice_url
from core.tenancy import current_schema
from notifications.services import notify_patient
from patients.models import Patient
from scheduling.booking import Booking, book_appointment
from scheduling.errors import SchedulingError, SlotUnavailable
from scheduling.models import Appointment, AppointmentType, Provider, WaitlistEntry, WaitlistOffer
from scheduling.policies import current_policy
from tenants.models import Practice

CLAIM_SALT = "practica.waitlist-claim"


def join_waitlist(
    *,
    patient: Patient,
    appointment_type: AppointmentType,
    earliest: datetime.datetime,
    latest: datetime.datetime,
    provider: Provider | None = None,
) -> WaitlistEntry:
    if latest <= earliest:
        raise SchedulingError("The end of the window must be after its start.", "invalid_range")
    if latest <= timezone.now():
        raise SchedulingError("That window is already over.", "past")
    return WaitlistEntry.objects.create(
        patient=patient,
        appointment_type=appointment_type,
        provider=provider,
        earliest=earliest,
        latest=latest,
    )


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


def _practice_slug() -> str:
    return str(Practice.objects.get(schema_name=current_schema()).slug)


def offer_freed_slot(freed: Appointment, now: datetime.datetime | None = None) -> list[WaitlistOffer]:
    """Offer the freed start time to the first waiting patients whose window and provider match."""
    now = now or timezone.now()
    if freed.start <= now:
        return []
    policy = current_policy()
    entries = list(
        WaitlistEntry.objects.filter(
            Q(provider__isnull=True) | Q(provider=freed.provider),
            status=WaitlistEntry.Status.WAITING,
            appointment_type=freed.appointment_type,
            earliest__lte=freed.start,
            latest__gte=freed.end,
        )
        .exclude(patient=freed.patient)
        .select_related("patient")
        .order_by("created_at")[: policy.waitlist_offer_count]
    )
    if not entries:
        return []
    expires = now + datetime.timedelta(minutes=policy.waitlist_offer_minutes)
    offers = []
    slug = _practice_slug()
    zone = ZoneInfo(freed.location.time_zone)
    for entry in entries:
        offer = WaitlistOffer.objects.create(
            entry=entry,
            provider=freed.provider,
            location=freed.location,
            start=freed.start,
            expires_at=expires,
        )
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.OFFERED)
        offers.append(offer)
        link = practice_url(slug, f"/book/waitlist/{claim_token(offer)}/")
        notify_patient(
            entry.patient,
            subject="An earlier appointment is available",
            template="scheduling/email/waitlist_offer.txt",
            context={
                "local_start": freed.start.astimezone(zone),
                "local_expires": expires.astimezone(zone),
                "link": link,
                "location": freed.location,
            },
        )
    return offers


def claim_offer(offer: WaitlistOffer, now: datetime.datetime | None = None) -> Booking:
    """The first claim books the slot; the other offers for it are closed and their patients told."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = WaitlistOffer.objects.select_for_update().select_related("entry").get(pk=offer.pk)
        if locked.status != WaitlistOffer.Status.OPEN:
            raise SlotUnavailable("Sorry, this slot has already been taken.")
        if locked.expires_at <= now:
            locked.status = WaitlistOffer.Status.EXPIRED
            locked.save(update_fields=["status"])
            raise SchedulingError("This offer has expired.", "expired")
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
        except SlotUnavailable:
            locked.status = WaitlistOffer.Status.GONE
            locked.save(update_fields=["status"])
            raise
        locked.status = WaitlistOffer.Status.CLAIMED
        locked.appointment = booking.appointment
        locked.save(update_fields=["status", "appointment"])
        entry.status = WaitlistEntry.Status.BOOKED
        entry.save(update_fields=["status"])
        others = list(
            WaitlistOffer.objects.filter(
                provider=locked.provider, start=locked.start, status=WaitlistOffer.Status.OPEN
            ).select_related("entry__patient")
        )
        for other in others:
            other.status = WaitlistOffer.Status.GONE
            other.save(update_fields=["status"])
            WaitlistEntry.objects.filter(pk=other.entry_id).update(status=WaitlistEntry.Status.WAITING)
        transaction.on_commit(lambda: _tell_gone(others))
    return booking


def _tell_gone(offers: list[WaitlistOffer]) -> None:
    for offer in offers:
        notify_patient(
            offer.entry.patient,
            subject="The appointment you were offered has been taken",
            template="scheduling/email/waitlist_gone.txt",
            context={"offer": offer},
        )
