"""Encounters from visits: completing an appointment opens its encounter, once.

open_encounter_for is called by the appointment-completion service (practica.scheduling.booking.
set_status) in the same transaction, not from a signal: whoever completes a visit, by whatever
surface, gets exactly one encounter, and a completion that rolls back leaves none."""

import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from practica.claims.models import AppointmentTypeProcedure, ChargeLine, Encounter
from practica.claims.pricing import unit_fees
from practica.insurance.selectors import coverage_on
from practica.scheduling.models import Appointment


def date_of_service(appointment: Appointment) -> datetime.date:
    """The visit's date where it happened (the location's time zone), not the server's."""
    return appointment.start.astimezone(ZoneInfo(appointment.location.time_zone)).date()


def open_encounter_for(appointment: Appointment) -> Encounter:
    """The appointment's encounter, opened now if it has none: the visit's patient, provider (also
    the rendering provider), location, local date and the location's place of service, with charge
    lines pre-filled from the appointment type's default procedures, priced from the fee schedule
    of the patient's primary payer on that date. Idempotent: a second call returns the same
    encounter, changed in nothing, and so does a concurrent one (the unique appointment wins)."""
    existing = Encounter.objects.filter(appointment=appointment).first()
    if existing is not None:
        if existing.status == Encounter.Status.VOID and not existing.claims.exists():
            existing.status = Encounter.Status.OPEN
            existing.save(update_fields=["status", "updated_at"])
        return existing
    location = appointment.location
    day = date_of_service(appointment)
    try:
        with transaction.atomic():
            encounter = Encounter.objects.create(
                appointment=appointment,
                patient_id=appointment.patient_id,
                provider_id=appointment.provider_id,
                rendering_provider_id=appointment.provider_id,
                location=location,
                date_of_service=day,
                place_of_service=location.place_of_service,
            )
            _prefill_charge_lines(encounter, appointment)
    except IntegrityError:
        # Another transaction opened it between our look and our insert: theirs is the one.
        return Encounter.objects.get(appointment=appointment)
    return encounter


def _prefill_charge_lines(encounter: Encounter, appointment: Appointment) -> None:
    links = list(
        AppointmentTypeProcedure.objects.filter(
            appointment_type_id=appointment.appointment_type_id, procedure__is_active=True
        )
        .select_related("procedure")
        .order_by("position", "pk")
    )
    if not links:
        return
    coverage = coverage_on(encounter.patient_id, encounter.date_of_service)
    fees = unit_fees(
        [link.procedure for link in links],
        on=encounter.date_of_service,
        payer=coverage.payer if coverage else None,
        location=encounter.location,
    )
    for position, link in enumerate(links, start=1):
        fee = fees[link.procedure_id]
        # One save per line (a handful): each is audited by the audit signals.
        ChargeLine.objects.create(
            encounter=encounter,
            position=position,
            procedure=link.procedure,
            units=link.units,
            unit_fee_cents=fee,
            charge_cents=fee * link.units,
            date_of_service=encounter.date_of_service,
            place_of_service=encounter.place_of_service,
        )


def release_encounter_for(appointment: Appointment) -> Encounter | None:
    """A completion undone: the encounter stays with everything coded on it (never deleted); one
    not yet billed is set aside as void, and completing the visit again reopens it."""
    encounter = Encounter.objects.filter(appointment=appointment).first()
    if encounter is None or encounter.status == Encounter.Status.BILLED or encounter.claims.exists():
        return encounter
    encounter.status = Encounter.Status.VOID
    encounter.save(update_fields=["status", "updated_at"])
    return encounter
