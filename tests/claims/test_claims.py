"""Claims made of encounters, coded through the services, moved through one transition table."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from practica.audit.models import AuditEvent
from practica.claims import lifecycle, numbers
from practica.claims.encounters import open_encounter_for
from practica.claims.errors import ClaimBlocked, ClaimsError, CodingError, InvalidClaimTransition
from practica.claims.models import Claim, ClaimStatus, ClaimTransition, Encounter, ScrubFinding, Severity
from practica.claims.services import (
    ChargeInput,
    create_claim_from_encounter,
    create_corrected_claim,
    refresh_claim,
    remove_charge_line,
    save_charge_line,
    set_diagnoses,
)
from practica.insurance.models import Coverage
from practica.scheduling.models import Appointment
from tests.claims.conftest import VISIT_START, Billing
from tests.claims.factories import visit

S = ClaimStatus


def coded_encounter(billing: Billing) -> Encounter:
    appointment = visit(
        billing.patient, billing.provider, billing.location, billing.visit_type, VISIT_START,
        status=Appointment.Status.COMPLETED,
    )  # fmt: skip
    encounter = open_encounter_for(appointment)
    set_diagnoses(encounter, ["E119", "i10"])
    for line in encounter.charge_lines.all():
        save_charge_line(
            encounter,
            ChargeInput(procedure=line.procedure, units=line.units, pointers=[1, 2], unit_fee_cents=None),
            line,
        )
    return encounter


def scrubbed(claim: Claim) -> Claim:
    """What the scrubber leaves on a clean claim."""
    Claim.objects.filter(pk=claim.pk).update(scrubbed_at=timezone.now())
    claim.refresh_from_db()
    return claim


def test_a_claim_copies_the_encounter_with_fresh_control_numbers(billing: Billing) -> None:
    encounter = coded_encounter(billing)
    claim = create_claim_from_encounter(encounter)

    assert (claim.status, claim.frequency_code, claim.payer, claim.coverage) == (
        S.DRAFT, "1", billing.payer, billing.coverage,
    )  # fmt: skip
    assert claim.diagnosis_codes == ["E11.9", "I10"]
    assert claim.patient_control_number.isalnum() and len(claim.patient_control_number) <= 20
    lines = list(claim.lines.order_by("line_number"))
    assert [
        (line.procedure_code, line.units, line.charge_cents, line.diagnosis_pointers) for line in lines
    ] == [
        ("99213", 1, 12000, [1, 2]),
        ("96372", 2, 5000, [1, 2]),
    ]
    assert claim.total_charge_cents == 17000 == sum(line.charge_cents for line in lines)
    assert len({line.line_control_number for line in lines}) == 2
    assert all(line.line_control_number.isalnum() for line in lines)
    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.BILLED
    assert AuditEvent.objects.filter(
        object_type="claims.claim", object_id=str(claim.pk), action="create"
    ).exists()


def test_a_refreshed_draft_keeps_its_line_control_numbers(billing: Billing) -> None:
    encounter = coded_encounter(billing)
    claim = create_claim_from_encounter(encounter)
    before = dict(claim.lines.values_list("charge_line_id", "line_control_number"))
    added = save_charge_line(
        encounter, ChargeInput(procedure=billing.office_visit, modifiers=["25"], pointers=[1])
    )

    refresh_claim(claim)

    after = dict(claim.lines.values_list("charge_line_id", "line_control_number"))
    assert {key: after[key] for key in before} == before
    assert after[added.pk] not in before.values()
    claim.refresh_from_db()
    assert claim.total_charge_cents == 17000 + 12000


def test_coding_refuses_what_cannot_go_on_a_claim(billing: Billing) -> None:
    encounter = coded_encounter(billing)
    with pytest.raises(CodingError, match="billable"):
        set_diagnoses(encounter, ["E11"])  # a category, not a billable code
    with pytest.raises(CodingError):
        set_diagnoses(encounter, ["E11.9", "E119"])
    with pytest.raises(CodingError, match="pointer"):
        save_charge_line(encounter, ChargeInput(procedure=billing.office_visit, pointers=[3]))
    with pytest.raises(CodingError):
        save_charge_line(encounter, ChargeInput(procedure=billing.office_visit, modifiers=["25", "5"]))
    # Fewer diagnoses: pointers at positions gone are cleared.
    set_diagnoses(encounter, ["I10"])
    assert {tuple(line.diagnosis_pointers) for line in encounter.charge_lines.all()} == {(1,)}


def test_a_billed_line_cannot_be_removed(billing: Billing) -> None:
    encounter = coded_encounter(billing)
    create_claim_from_encounter(encounter)
    with pytest.raises(CodingError):
        remove_charge_line(encounter.charge_lines.first())  # type: ignore[arg-type]


def test_no_claim_without_a_mapped_payer_in_force(billing: Billing) -> None:
    encounter = coded_encounter(billing)
    Coverage.objects.filter(pk=billing.coverage.pk).update(payer=None, unmapped_payer_name="Blue Something")
    with pytest.raises(ClaimsError, match="Blue Something"):
        create_claim_from_encounter(encounter)
    Coverage.objects.filter(pk=billing.coverage.pk).update(effective_to=datetime.date(2026, 1, 31))
    with pytest.raises(ClaimsError) as refused:
        create_claim_from_encounter(encounter)
    assert refused.value.code == "no_coverage"


def test_the_whole_lifecycle_is_audited_and_illegal_moves_raise(billing: Billing) -> None:
    claim = create_claim_from_encounter(coded_encounter(billing))
    with pytest.raises(InvalidClaimTransition):
        lifecycle.transition_claim(claim, S.SUBMITTED)  # a draft is not ready
    Claim.objects.filter(pk=claim.pk).update(scrubbed_at=None)  # as if never scrubbed
    claim.refresh_from_db()
    with pytest.raises(ClaimBlocked):
        lifecycle.transition_claim(claim, S.READY)
    ScrubFinding.objects.create(claim=claim, rule_id="X", message="Broken", severity=Severity.ERROR)
    with pytest.raises(ClaimBlocked):
        lifecycle.transition_claim(scrubbed(claim), S.READY)
    ScrubFinding.objects.filter(claim=claim).update(severity=Severity.WARNING)  # warnings do not block

    for status in (S.READY, S.SUBMITTED, S.ACCEPTED, S.ADJUDICATED, S.CLOSED):
        claim = lifecycle.transition_claim(claim, status, reason=f"to {status}")
    with pytest.raises(InvalidClaimTransition):
        lifecycle.transition_claim(claim, S.DRAFT)

    claim.refresh_from_db()
    assert claim.status == S.CLOSED and claim.submitted_at is not None
    assert list(ClaimTransition.objects.filter(claim=claim).values_list("from_status", "to_status")) == [
        (S.DRAFT, S.READY), (S.READY, S.SUBMITTED), (S.SUBMITTED, S.ACCEPTED),
        (S.ACCEPTED, S.ADJUDICATED), (S.ADJUDICATED, S.CLOSED),
    ]  # fmt: skip
    audited = AuditEvent.objects.filter(object_type="claims.claim", object_id=str(claim.pk), action="update")
    # one event per move, recorded by the database's triggers (the queryset update included)
    assert list(
        audited.filter(changed_fields__contains=["status"])
        .order_by("at", "id")
        .values_list("changed_fields", flat=True)
    ) == [["status"], ["status", "submitted_at"], ["status"], ["status"], ["status"]]


def test_every_status_has_a_row_in_the_table_and_final_ones_lead_nowhere() -> None:
    assert set(lifecycle.TRANSITIONS) == set(S.values)
    assert lifecycle.TRANSITIONS[S.VOIDED] == lifecycle.TRANSITIONS[S.REPLACED] == frozenset()
    assert not lifecycle.can_transition(S.DRAFT, S.ADJUDICATED)
    assert lifecycle.can_transition(S.REJECTED, S.DRAFT)


def test_a_replacement_names_the_original_and_retires_it_when_sent(billing: Billing) -> None:
    original = create_claim_from_encounter(coded_encounter(billing))
    with pytest.raises(ClaimsError):
        create_corrected_claim(original, "7")  # the payer has not taken it in
    original = scrubbed(original)
    for status in (S.READY, S.SUBMITTED, S.ACCEPTED, S.ADJUDICATED):
        original = lifecycle.transition_claim(original, status)
    with pytest.raises(ClaimsError) as refused:
        create_corrected_claim(original, "7")
    assert refused.value.code == "no_payer_claim_number"
    Claim.objects.filter(pk=original.pk).update(payer_claim_control_number="PAYER-ICN-1")
    original.refresh_from_db()

    replacement = create_corrected_claim(original, "7")

    assert (replacement.frequency_code, replacement.original_claim_number, replacement.replaces) == (
        "7", "PAYER-ICN-1", original,
    )  # fmt: skip
    assert replacement.patient_control_number != original.patient_control_number
    assert replacement.lines.count() == original.lines.count()
    lifecycle.transition_claim(scrubbed(replacement), S.READY)
    lifecycle.transition_claim(replacement, S.SUBMITTED)
    original.refresh_from_db()
    assert original.status == S.REPLACED


def test_many_claims_move_in_a_fixed_number_of_queries(
    billing: Billing, django_assert_num_queries: object
) -> None:
    claims = [
        scrubbed(create_claim_from_encounter(coded_encounter_for_day(billing, day))) for day in range(3)
    ]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as three:
        lifecycle.transition_claims(claims, S.READY)
    more = [
        scrubbed(create_claim_from_encounter(coded_encounter_for_day(billing, day))) for day in range(3, 9)
    ]
    with CaptureQueriesContext(connection) as six:
        lifecycle.transition_claims(more, S.READY)
    assert len(three.captured_queries) == len(six.captured_queries)


def coded_encounter_for_day(billing: Billing, day: int) -> Encounter:
    # Days before the first visit, never after it: a visit still ahead of the clock cannot be billed.
    start = VISIT_START - datetime.timedelta(days=day)
    appointment = visit(
        billing.patient, billing.provider, billing.location, billing.visit_type, start,
        status=Appointment.Status.COMPLETED,
    )  # fmt: skip
    encounter = open_encounter_for(appointment)
    set_diagnoses(encounter, ["Z00.00"])
    for line in encounter.charge_lines.all():
        save_charge_line(
            encounter, ChargeInput(procedure=line.procedure, units=line.units, pointers=[1]), line
        )
    return encounter


def test_control_numbers_are_never_reused_even_after_a_rollback(billing: Billing) -> None:
    first = numbers.allocate_envelope_numbers()
    try:
        with transaction.atomic():
            abandoned = numbers.allocate_envelope_numbers()
            raise RuntimeError("the file could not be written")
    except RuntimeError:
        pass
    after = numbers.allocate_envelope_numbers()
    assert first.isa < abandoned.isa < after.isa
    assert first.gs < abandoned.gs < after.gs
    assert first.st < abandoned.st < after.st
    assert len(set(numbers.patient_control_numbers(50))) == 50
