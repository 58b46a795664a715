"""The biller's queues: charges to review, claims by status and payer with their findings, the
ready claims per payer, the submission history with acknowledgements. Each row links to its
patient and visit; each page reads the same number of queries for 1 row as for many."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practica.accounts.roles import Role
from practica.claims.models import (
    AcknowledgedClaim,
    Acknowledgement,
    BatchClaim,
    Claim,
    ClaimStatus,
    Encounter,
    ScrubFinding,
    Severity,
    SubmissionBatch,
)
from practica.claims.services import create_claim_from_encounter, set_diagnoses
from practica.insurance.models import Payer
from practica.patients.models import Patient
from tenants.models import Practice
from tests.claims.conftest import Billing
from tests.claims.factories import CoverageFactory, PayerFactory
from tests.claims.test_coding_screen import completed_encounter
from tests.conftest import signed_in_client, staff
from tests.factories import PatientFactory


@pytest.fixture
def biller(practice_a: Practice) -> Client:
    return signed_in_client(staff(practice_a, Role.BILLER), practice_a)


_days = iter(range(1, 10_000))


def coded(billing: Billing, patient: Patient | None = None) -> Encounter:
    """A completed, coded visit (its own patient and coverage when one is given)."""
    if patient is not None:
        billing = Billing(**{**billing.__dict__, "patient": patient})
    encounter = completed_encounter(billing, days=next(_days))
    set_diagnoses(encounter, ["E11.9"])
    return encounter


def claim_of(billing: Billing, *, payer_name: str = "", errors: int = 0, warnings: int = 0) -> Claim:
    patient = PatientFactory.create()
    payer = Payer.objects.filter(name=payer_name).first() or PayerFactory.create(name=payer_name)
    payer = payer if payer_name else billing.payer
    CoverageFactory.create(patient=patient, payer=payer)
    claim = create_claim_from_encounter(coded(billing, patient))
    ScrubFinding.objects.filter(claim=claim).delete()  # the test says what the scrub found
    for n in range(errors + warnings):
        ScrubFinding.objects.create(
            claim=claim,
            rule_id=f"R{n}",
            message="Fix me.",
            severity=Severity.ERROR if n < errors else Severity.WARNING,
        )
    Claim.objects.filter(pk=claim.pk).update(
        scrubbed_at=timezone.now(), error_count=errors, warning_count=warnings
    )
    claim.refresh_from_db()
    return claim


def same_queries(client: Client, url: str, add_rows: Callable[[], object]) -> tuple[int, Any]:
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_rows()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(one) == len(many), "\n".join(q["sql"] for q in many.captured_queries)
    return len(many), response


def links_to_patient_and_visit(body: str, encounter: Encounter) -> bool:
    return (
        f'href="/patients/{encounter.patient_id}/"' in body
        and f'href="/schedule/appointments/{encounter.appointment_id}/"' in body
    )


def test_charges_to_review_lists_unbilled_visits_only(billing: Billing, biller: Client) -> None:
    waiting = coded(billing)
    claim_of(billing)  # its visit's charges are all on a claim
    page = biller.get("/claims/charges/")
    assert [e.pk for e in page.context["encounters"]] == [waiting.pk]
    body = page.content.decode()
    assert links_to_patient_and_visit(body, waiting)
    assert f'href="/claims/encounters/{waiting.pk}/"' in body
    assert "$170.00" in body  # 99213 at $120 and 2 units of 96372 at $25


def test_charges_to_review_query_count_is_pinned(billing: Billing, biller: Client) -> None:
    coded(billing)
    count, page = same_queries(
        biller, "/claims/charges/", lambda: [coded(billing, PatientFactory.create()) for _ in range(4)]
    )
    assert len(page.context["encounters"]) == 5
    assert count == 12


def test_claims_by_status_and_payer_with_their_findings(billing: Billing, biller: Client) -> None:
    blocked = claim_of(billing, errors=2, warnings=1)
    other = claim_of(billing, payer_name="Sunrise Mutual")
    body = biller.get("/claims/?status=draft").content.decode()
    assert "2 errors" in body and "1 warning" in body
    assert links_to_patient_and_visit(body, blocked.encounter)
    only_other = biller.get(f"/claims/?payer={other.payer_id}")
    assert [c.pk for c in only_other.context["claims"]] == [other.pk]
    assert biller.get("/claims/?status=submitted").context["claims"] == []
    counts = {value: n for value, _, n in biller.get("/claims/").context["counts"]}
    assert counts["draft"] == 2 and counts["ready"] == 0


def test_claims_list_query_count_is_pinned(billing: Billing, biller: Client) -> None:
    claim_of(billing)
    count, page = same_queries(
        biller, "/claims/", lambda: [claim_of(billing, payer_name=f"Payer {n}", errors=n) for n in range(4)]
    )
    assert len(page.context["claims"]) == 5
    assert count == 14


def test_a_claim_is_made_ready_only_without_errors(billing: Billing, biller: Client) -> None:
    blocked = claim_of(billing, errors=1)
    clean = claim_of(billing)
    page = biller.post(f"/claims/{blocked.pk}/status/", {"to": "ready"}, follow=True)
    assert "have errors to fix first" in page.content.decode()
    biller.post(f"/claims/{clean.pk}/status/", {"to": "ready"})
    assert Claim.objects.get(pk=blocked.pk).status == ClaimStatus.DRAFT
    assert Claim.objects.get(pk=clean.pk).status == ClaimStatus.READY
    refused = biller.post(f"/claims/{clean.pk}/status/", {"to": "submitted"}, follow=True)
    assert "not made from this page" in refused.content.decode()
    detail = biller.get(f"/claims/{blocked.pk}/").content.decode()
    assert "Fix me." in detail and links_to_patient_and_visit(detail, blocked.encounter)


def test_ready_claims_are_grouped_per_payer_in_pinned_queries(billing: Billing, biller: Client) -> None:
    def ready(payer_name: str = "") -> Claim:
        claim = claim_of(billing, payer_name=payer_name, warnings=1)
        Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.READY)
        return claim

    first = ready()
    count, page = same_queries(
        biller, "/claims/ready/", lambda: [ready("Zenith Care"), ready("Zenith Care"), ready()]
    )
    batches = page.context["batches"]
    assert [(b.payer.name, len(b.claims)) for b in batches] == [("Lakeview Health", 2), ("Zenith Care", 2)]
    assert batches[0].total_cents == 2 * 17000 and batches[0].warning_count == 2
    assert links_to_patient_and_visit(page.content.decode(), first.encounter)
    assert count == 11


def batch_of(claims: list[Claim], number: int) -> SubmissionBatch:
    batch = SubmissionBatch.objects.create(
        payer=claims[0].payer, file_name=f"837-{number}.txt", isa_control_number=number,
        gs_control_number=number, st_control_number=number, usage_indicator="T", claim_count=len(claims),
        status=SubmissionBatch.Status.SENT,
    )  # fmt: skip
    for claim in claims:
        BatchClaim.objects.create(batch=batch, claim=claim)
    ack = Acknowledgement.objects.create(
        kind=Acknowledgement.Kind.CLAIM_STATUS,
        file_name=f"277-{number}.txt",
        content_sha256=f"{number:064d}",
        batch=batch,
    )
    for n, claim in enumerate(claims):
        outcome = AcknowledgedClaim.Outcome.REJECTED if n == 0 else AcknowledgedClaim.Outcome.ACCEPTED
        AcknowledgedClaim.objects.create(
            acknowledgement=ack,
            claim=claim,
            outcome=outcome,
            message="Bad member id" if n == 0 else "",
            segment="NM1",
        )
    return batch


def test_submission_history_shows_acknowledgements_in_pinned_queries(
    billing: Billing, biller: Client
) -> None:
    first = batch_of([claim_of(billing), claim_of(billing)], 1)
    count, page = same_queries(
        biller, "/claims/submissions/", lambda: [batch_of([claim_of(billing)], n) for n in range(2, 6)]
    )
    body = page.content.decode()
    assert len(page.context["batches"]) == 5
    assert "1 accepted, 1 rejected" in body and f'href="/claims/submissions/{first.pk}/"' in body
    assert count == 12


def test_a_batch_lists_its_claims_with_what_came_back(billing: Billing, biller: Client) -> None:
    claims = [claim_of(billing), claim_of(billing)]
    batch = batch_of(claims, 7)
    body = biller.get(f"/claims/submissions/{batch.pk}/").content.decode()
    assert "Rejected: Bad member id (segment NM1)" in body
    assert all(links_to_patient_and_visit(body, claim.encounter) for claim in claims)


def test_biller_queues_refuse_a_clinician(practice_a: Practice, billing: Billing) -> None:
    client = signed_in_client(staff(practice_a, Role.CLINICIAN), practice_a)
    for path in ("/claims/", "/claims/ready/", "/claims/submissions/"):
        assert client.get(path).status_code == 403
    assert client.get("/claims/charges/").status_code == 200
