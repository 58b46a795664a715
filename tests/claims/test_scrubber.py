"""The scrubber against the database: run on every claim save, findings stored (replacing the last
ones) with the claim's counts, a practice's settings and own rules, an error blocking ready and a
warning not, and a batch scrubbed in the same number of queries for 5 claims as for 50."""

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from practica.audit.models import AuditEvent
from practica.claims import lifecycle
from practica.claims.errors import ClaimBlocked
from practica.claims.models import (
    ChargeLine,
    Claim,
    ClaimLine,
    ClaimStatus,
    CustomScrubRule,
    Encounter,
    ScrubFinding,
    ScrubRuleSetting,
    Severity,
)
from practica.claims.scrubber import RULES, scrub_claim, scrub_claims, settings
from practica.claims.services import create_claim_from_encounter
from practica.insurance.models import Payer
from practica.patients.models import PatientProfile
from tests.claims.conftest import DOS, Billing
from tests.claims.factories import CoverageFactory, PayerFactory
from tests.claims.test_claims import coded_encounter
from tests.factories import PatientFactory

TODAY = DOS + datetime.timedelta(days=10)


def findings(claim: Claim) -> list[tuple[str, str, int | None]]:
    rows = ScrubFinding.objects.filter(claim=claim).order_by("rule_id", "line__line_number")
    return [(f.rule_id, f.severity, f.line.line_number if f.line else None) for f in rows]


def test_a_claim_is_scrubbed_when_it_is_made_and_a_clean_one_has_no_findings(billing: Billing) -> None:
    claim = create_claim_from_encounter(coded_encounter(billing), today=TODAY)

    claim.refresh_from_db()
    assert claim.scrubbed_at is not None
    assert (claim.error_count, claim.warning_count) == (0, 0)
    assert findings(claim) == []


def test_findings_are_stored_on_their_line_and_replace_the_previous_ones(billing: Billing) -> None:
    claim = create_claim_from_encounter(coded_encounter(billing), today=TODAY)
    ClaimLine.objects.filter(claim=claim, line_number=2).update(modifiers=["95"])  # telehealth at the office
    Payer.objects.filter(pk=billing.payer.pk).update(is_active=False)

    result = scrub_claim(claim, today=TODAY)

    assert [(f.rule_id, f.line_number) for f in result.findings] == [
        ("CLM-TEL-001", 2),
        ("CLM-PAY-003", None),
    ]
    assert findings(claim) == [("CLM-PAY-003", "warning", None), ("CLM-TEL-001", "error", 2)]
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.error_count, stored.warning_count) == (1, 1) == (claim.error_count, claim.warning_count)
    # The counts are written in one raw UPDATE: the audit trail still has it, with what changed.
    counted = AuditEvent.objects.filter(object_type="claims.claim", object_id=str(claim.pk), action="update")
    assert any({"error_count", "warning_count"} <= set(event.changed_fields) for event in counted)
    message = ScrubFinding.objects.get(claim=claim, rule_id="CLM-TEL-001").message
    assert "95" in message and "02 or 10" in message

    ClaimLine.objects.filter(claim=claim, line_number=2).update(modifiers=[])
    scrub_claim(claim, today=TODAY)
    assert findings(claim) == [("CLM-PAY-003", "warning", None)]


def test_an_error_blocks_ready_and_a_warning_does_not(billing: Billing) -> None:
    claim = create_claim_from_encounter(coded_encounter(billing), today=TODAY)
    Payer.objects.filter(pk=billing.payer.pk).update(payer_ids={})
    scrub_claim(claim, today=TODAY)
    with pytest.raises(ClaimBlocked):
        lifecycle.transition_claim(claim, ClaimStatus.READY)

    Payer.objects.filter(pk=billing.payer.pk).update(payer_ids={"folder": "87726"}, is_active=False)
    result = scrub_claim(claim, today=TODAY)
    assert [f.rule_id for f in result.warnings] == ["CLM-PAY-003"] and result.is_clean
    assert lifecycle.transition_claim(claim, ClaimStatus.READY).status == ClaimStatus.READY


def test_a_practice_switches_a_rule_off_or_changes_its_severity(billing: Billing) -> None:
    claim = create_claim_from_encounter(coded_encounter(billing), today=TODAY)
    PatientProfile.objects.filter(patient=billing.patient).update(state="Illinois", postal_code="627")

    scrub_claim(claim, today=TODAY)
    assert findings(claim) == [("CLM-PAT-004", "error", None), ("CLM-PAT-005", "error", None)]

    ScrubRuleSetting.objects.create(rule_id="CLM-PAT-004", enabled=False)
    ScrubRuleSetting.objects.create(rule_id="CLM-PAT-005", severity_override=Severity.WARNING)
    scrub_claim(claim, today=TODAY)
    assert findings(claim) == [("CLM-PAT-005", "warning", None)]
    assert (claim.error_count, claim.warning_count) == (0, 1)
    lifecycle.transition_claim(claim, ClaimStatus.READY)  # now only a warning


def test_a_practice_adds_its_own_rules_for_every_payer_or_one(billing: Billing) -> None:
    claim = create_claim_from_encounter(coded_encounter(billing), today=TODAY)
    other_payer = PayerFactory.create()
    total = CustomScrubRule.objects.create(
        name="Big claims", field="claim.total_charge_cents", operator="gt", value="15000",
        message="Claims over $150 need the manager's look.", severity=Severity.WARNING,
    )  # fmt: skip
    injection = CustomScrubRule.objects.create(
        name="Injections need a J code", field="line.procedure_code", operator="equals", value="96372",
        message="Add the drug's J code with the injection.", severity=Severity.ERROR, payer=billing.payer,
    )  # fmt: skip
    CustomScrubRule.objects.create(
        name="Other payer only", field="claim.place_of_service", operator="equals", value="11",
        message="Not this payer's rule.", payer=other_payer,
    )  # fmt: skip
    CustomScrubRule.objects.create(
        name="Switched off", field="patient.last_name", operator="is_not_empty", message="Off.", enabled=False
    )
    broken = CustomScrubRule.objects.create(
        name="Saved around the form", field="claim.secret", operator="equals", value="x", message="Never."
    )

    result = scrub_claim(claim, today=TODAY)

    assert findings(claim) == sorted(
        [
            (total.rule_id, "warning", None),
            (injection.rule_id, "error", 2),
            (broken.rule_id, "warning", None),
        ]
    )
    by_rule = {f.rule_id: f for f in result.findings}
    assert by_rule[injection.rule_id].message == "Add the drug's J code with the injection."
    assert "cannot be checked" in by_rule[broken.rule_id].message
    assert total.rule_id == f"CUSTOM-{total.pk}"


def many_claims(billing: Billing, count: int) -> list[Claim]:
    """`count` claims of different patients, payers and days, each like a coded visit (made
    directly, not through the services, to keep the test fast)."""
    payers = [billing.payer, *PayerFactory.create_batch(2)]
    claims = []
    for n in range(count):
        patient = PatientFactory.create(sex="M")
        PatientProfile.objects.create(
            patient=patient, address_line1="1 Elm St", city="Springfield", state="IL", postal_code="62704"
        )
        coverage = CoverageFactory.create(patient=patient, payer=payers[n % 3])
        day = DOS - datetime.timedelta(days=n % 7)
        encounter = Encounter.objects.create(
            patient=patient, provider=billing.provider, rendering_provider=billing.provider,
            location=billing.location, date_of_service=day, place_of_service="11",
        )  # fmt: skip
        claim = Claim.objects.create(
            encounter=encounter, patient=patient, coverage=coverage, payer=payers[n % 3],
            patient_control_number=f"BATCH{count}X{n}", place_of_service="11",
            diagnosis_codes=["E11.9", "I10"], total_charge_cents=17000,
        )  # fmt: skip
        ClaimLine.objects.bulk_create(
            ClaimLine(
                claim=claim, charge_line=charge, line_number=number, line_control_number=f"B{count}X{n}L{number}",  # noqa: E501
                procedure_code=charge.procedure.code, units=charge.units, charge_cents=charge.charge_cents,
                diagnosis_pointers=[1, 2], date_of_service=day, place_of_service="11",
            )
            for number, charge in enumerate(charge_lines(billing, encounter), start=1)
        )  # fmt: skip
        claims.append(claim)
    return claims


def charge_lines(billing: Billing, encounter: Encounter) -> list[ChargeLine]:
    return [
        ChargeLine.objects.create(
            encounter=encounter, position=1, procedure=billing.office_visit, units=1,
            unit_fee_cents=12000, charge_cents=12000, date_of_service=encounter.date_of_service,
            place_of_service="11",
        ),
        ChargeLine.objects.create(
            encounter=encounter, position=2, procedure=billing.injection, units=2,
            unit_fee_cents=2500, charge_cents=5000, date_of_service=encounter.date_of_service,
            place_of_service="11",
        ),
    ]  # fmt: skip


def test_a_batch_is_scrubbed_in_the_same_number_of_queries_for_5_claims_as_for_50(billing: Billing) -> None:
    five, fifty = many_claims(billing, 5), many_claims(billing, 50)
    # One claim with findings on a line in each batch: finding rows are written too.
    ClaimLine.objects.filter(claim__in=[five[0], fifty[0]], line_number=1).update(units=150)

    with CaptureQueriesContext(connection) as small:
        small_results = scrub_claims(five, today=TODAY)
    with CaptureQueriesContext(connection) as large:
        large_results = scrub_claims(fifty, today=TODAY)

    assert len(small.captured_queries) == len(large.captured_queries) <= 17
    assert [len(r.findings) for r in small_results].count(0) == 4
    assert [len(r.findings) for r in large_results].count(0) == 49
    assert Claim.objects.filter(pk__in=[c.pk for c in fifty], scrubbed_at__isnull=False).count() == 50
    assert ScrubFinding.objects.filter(claim=fifty[0], rule_id="CLM-UNT-002", line__line_number=1).exists()


def test_a_second_claim_for_the_same_visit_is_a_duplicate_until_one_is_voided(billing: Billing) -> None:
    encounter = coded_encounter(billing)
    first = create_claim_from_encounter(encounter, today=TODAY)
    second = create_claim_from_encounter(encounter, today=TODAY)

    assert findings(second) == [("CLM-DUP-001", "error", None)]
    assert first.patient_control_number in ScrubFinding.objects.get(claim=second).message
    assert [f.rule_id for f in scrub_claims([first], today=TODAY)[0].errors] == ["CLM-DUP-001"]

    lifecycle.transition_claim(first, ClaimStatus.VOIDED)
    assert scrub_claim(second, today=TODAY).findings == []


def test_settings_are_saved_through_the_service_and_listed_in_the_catalogue(billing: Billing) -> None:
    claim = create_claim_from_encounter(coded_encounter(billing), today=TODAY)
    PatientProfile.objects.filter(patient=billing.patient).update(postal_code="627")
    scrub_claim(claim, today=TODAY)
    assert claim.error_count == 1

    settings.configure_rule("CLM-PAT-005", enabled=True, severity=Severity.WARNING)
    settings.configure_rule("CLM-PAY-003", enabled=False)
    with pytest.raises(settings.ScrubSettingError) as unknown:
        settings.configure_rule("CLM-NOPE-001", enabled=False)
    assert unknown.value.field == "rule_id"
    with pytest.raises(settings.ScrubSettingError):
        settings.configure_rule("CLM-PAT-005", enabled=True, severity="fatal")

    catalogue = {choice.id: choice for choice in settings.rule_catalogue()}
    assert len(catalogue) == len(RULES)
    assert (catalogue["CLM-PAT-005"].severity, catalogue["CLM-PAT-005"].default_severity) == (
        "warning",
        "error",
    )
    assert not catalogue["CLM-PAY-003"].enabled and catalogue["CLM-NPI-001"].enabled

    # Findings change when the claims are scrubbed again (here: every claim not yet sent).
    assert Claim.objects.get(pk=claim.pk).error_count == 1
    assert settings.rescrub_unsent_claims(today=TODAY) == 1
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.error_count, stored.warning_count) == (0, 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"severity": "fatal"}, "severity"),
        ({"field": "patient.ssn"}, "field"),
        ({"operator": "gt", "value": "many"}, "value"),
    ],
)
def test_a_practices_rule_that_cannot_be_checked_is_not_saved(
    billing: Billing, changes: dict[str, str], field: str
) -> None:
    valid = {"name": "Big", "field": "claim.total_charge_cents", "operator": "gt", "value": "100",
             "message": "Look.", "severity": Severity.WARNING}  # fmt: skip
    with pytest.raises(settings.ScrubSettingError) as refused:
        settings.save_custom_rule(CustomScrubRule(**(valid | changes)))
    assert refused.value.field == field
    assert not CustomScrubRule.objects.exists()
    assert settings.save_custom_rule(CustomScrubRule(**valid)).pk is not None


def test_scrubbing_one_claim_as_it_is_saved_takes_a_fixed_handful_of_queries(
    billing: Billing, django_assert_num_queries: Any
) -> None:
    claim = create_claim_from_encounter(coded_encounter(billing), today=TODAY)
    ClaimLine.objects.filter(claim=claim, line_number=2).update(modifiers=["95"])
    # Savepoint; claim (locked) and lines; payers, providers, locations; billing profile, ICD-10,
    # procedures, places, the visit's claims, settings, own rules; delete, insert, update; release.
    with django_assert_num_queries(17):
        assert scrub_claim(claim, today=TODAY).errors
