"""Completing a visit opens its encounter once, with charge lines from the visit type, priced."""

import datetime

import pytest

from practica.audit.models import AuditEvent
from practica.claims.encounters import open_encounter_for, release_encounter_for
from practica.claims.models import ChargeLine, Encounter
from practica.scheduling.booking import set_status
from practica.scheduling.errors import InvalidTransition
from practica.scheduling.models import Appointment
from tests.claims.conftest import DOS, VISIT_START, Billing
from tests.claims.factories import fee_schedule, visit

NOW = VISIT_START + datetime.timedelta(hours=1)


def complete(billing: Billing) -> Appointment:
    appointment = visit(billing.patient, billing.provider, billing.location, billing.visit_type, VISIT_START)
    return set_status(appointment, Appointment.Status.COMPLETED, now=NOW)


def test_completing_a_visit_opens_one_priced_encounter(billing: Billing) -> None:
    fee_schedule({billing.office_visit: 15000}, datetime.date(2026, 1, 1), payer=billing.payer)
    appointment = complete(billing)

    encounter = Encounter.objects.get(appointment=appointment)
    assert encounter.status == Encounter.Status.OPEN
    assert (encounter.patient, encounter.provider, encounter.rendering_provider, encounter.location) == (
        billing.patient,
        billing.provider,
        billing.provider,
        billing.location,
    )
    # 19:30 in New York is already the next day in UTC: the date of service is the local one.
    assert encounter.date_of_service == DOS
    assert encounter.place_of_service == "11"
    lines = list(encounter.charge_lines.order_by("position"))
    assert [(line.procedure.code, line.units, line.unit_fee_cents, line.charge_cents) for line in lines] == [
        ("99213", 1, 15000, 15000),  # the payer's fee schedule
        ("96372", 2, 2500, 5000),  # no fee there: the procedure's default fee
    ]
    assert AuditEvent.objects.filter(object_type="claims.encounter", action="create").count() == 1
    assert AuditEvent.objects.filter(object_type="claims.chargeline", action="create").count() == 2


def test_opening_again_returns_the_same_encounter_unchanged(billing: Billing) -> None:
    appointment = complete(billing)
    first = Encounter.objects.get(appointment=appointment)
    ChargeLine.objects.filter(encounter=first, position=2).delete()

    again = open_encounter_for(appointment)

    assert again.pk == first.pk
    assert Encounter.objects.filter(appointment=appointment).count() == 1
    assert list(again.charge_lines.values_list("position", flat=True)) == [1]


def test_a_completion_that_fails_opens_nothing(billing: Billing) -> None:
    appointment = visit(
        billing.patient, billing.provider, billing.location, billing.visit_type, VISIT_START,
        status=Appointment.Status.BOOKED,
    )  # fmt: skip
    with pytest.raises(InvalidTransition):
        set_status(appointment, Appointment.Status.COMPLETED, now=NOW)
    assert not Encounter.objects.filter(appointment=appointment).exists()


def test_undoing_a_completion_keeps_what_was_coded(billing: Billing) -> None:
    appointment = complete(billing)
    encounter = Encounter.objects.get(appointment=appointment)

    release_encounter_for(appointment)

    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.VOID
    assert encounter.charge_lines.count() == 2
    # Completed again: the same encounter, open again, with its lines.
    assert open_encounter_for(appointment).pk == encounter.pk
    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.OPEN
    assert encounter.charge_lines.count() == 2


def test_a_visit_type_without_default_procedures_opens_an_empty_encounter(billing: Billing) -> None:
    billing.visit_type.default_procedure_links.all().delete()
    appointment = complete(billing)
    assert Encounter.objects.get(appointment=appointment).charge_lines.count() == 0
