"""The primary coverage through practica.insurance.services: payer names matched or kept, a
self-insured patient's subscriber filled from the record, and a policy a claim used kept as history."""

from practica.insurance.models import Coverage, Relationship
from practica.insurance.selectors import coverage_on, primary_coverage
from practica.insurance.services import link_unmapped_coverages, match_payer, save_coverage, save_payer
from tests.claims.conftest import DOS, Billing
from tests.claims.factories import PayerFactory
from tests.factories import PatientFactory


def test_payer_names_match_however_written(billing: Billing) -> None:
    PayerFactory.create(name="Aetna")
    assert match_payer("AETNA, Inc.") == match_payer(" aetna ")
    assert match_payer("AETNA, Inc.") is not None
    assert match_payer("Aetna Better Health") is None
    assert match_payer("") is None


def test_an_unknown_payer_is_kept_by_name_and_linked_when_set_up(billing: Billing) -> None:
    patient = PatientFactory.create(first_name="Rosa", last_name="Vega")
    coverage = save_coverage(
        patient, {"payer_name": "Blue Lake Health", "member_id": "BL1", "relationship": Relationship.SELF}
    )
    assert (coverage.payer, coverage.unmapped_payer_name) == (None, "Blue Lake Health")
    # Self: the subscriber is the patient.
    assert (coverage.subscriber_first_name, coverage.subscriber_last_name) == ("Rosa", "Vega")
    assert coverage.subscriber_date_of_birth == patient.date_of_birth

    payer = save_payer({"name": "Blue Lake Health, Inc.", "payer_ids": {"folder": "BLH01"}})

    coverage.refresh_from_db()
    assert (coverage.payer, coverage.unmapped_payer_name) == (payer, "")
    assert link_unmapped_coverages(payer) == 0


def test_a_policy_a_claim_used_is_kept_when_the_patient_changes_insurer(billing: Billing) -> None:
    from practica.claims.services import create_claim_from_encounter
    from tests.claims.test_claims import coded_encounter

    claim = create_claim_from_encounter(coded_encounter(billing))
    new = save_coverage(billing.patient, {"payer_name": "Other Plan", "member_id": "NEW1"})

    assert new.pk != billing.coverage.pk
    billing.coverage.refresh_from_db()
    assert not billing.coverage.is_active and claim.coverage_id == billing.coverage.pk
    assert primary_coverage(billing.patient.pk) == new
    # Without claims, a coverage is simply updated.
    again = save_coverage(billing.patient, {"member_id": "NEW2"})
    assert again.pk == new.pk and Coverage.objects.filter(patient=billing.patient).count() == 2


def test_the_coverage_in_force_on_a_date(billing: Billing) -> None:
    import datetime

    assert coverage_on(billing.patient.pk, DOS) == billing.coverage
    Coverage.objects.filter(pk=billing.coverage.pk).update(effective_from=datetime.date(2026, 3, 3))
    assert coverage_on(billing.patient.pk, DOS) is None
