"""Sending claims: models to 837P (checked by pyx12 and x12sdk, which nobody here wrote), one file
per payer through the folder adapter, claims submitted through the lifecycle, batches recorded."""

import datetime
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from practica.claims.clearinghouse import BatchFile, FolderClearinghouse, SendFailed, for_practice
from practica.claims.errors import ClaimsError
from practica.claims.models import (
    BatchClaim,
    BillingProfile,
    Claim,
    ClaimStatus,
    ClaimTransition,
    ScrubRuleSetting,
    SubmissionBatch,
)
from practica.claims.submission import submit_ready_claims
from practica.claims.x12_mapping import claims_to_send
from practica.insurance.models import Coverage
from practica.patients.models import Patient
from practica.x12.read837 import read_837p
from tenants.models import Practice
from tests.claims.factories import ready_claims
from tests.x12.validators import pyx12_validate, x12sdk_claims

S = ClaimStatus
NOW = datetime.datetime(2026, 3, 4, 15, 30, tzinfo=datetime.UTC)


@pytest.fixture
def edi_root(settings: Any, tmp_path: Path) -> Path:
    settings.EDI_ROOT = str(tmp_path / "edi")
    return tmp_path / "edi"


@pytest.fixture
def alpha(practice_a: Practice, in_practice: Any, edi_root: Path) -> Iterator[Practice]:
    with in_practice(practice_a):
        yield practice_a


def submit(practice: Practice) -> Any:
    return submit_ready_claims(now=NOW, zone=practice)


def test_a_200_claim_multi_payer_submission_validates_in_pyx12_and_x12sdk(
    alpha: Practice, edi_root: Path
) -> None:
    claims = ready_claims(200, payers=4, dependent_every=5)
    expected = {
        c.patient_control_number: Decimal(c.total_charge_cents) / 100
        for c in Claim.objects.filter(pk__in=[c.pk for c in claims])
    }

    result = submit(alpha)

    assert result.failures == []
    batches = sorted(result.batches, key=lambda b: b.payer.name)
    assert [(b.payer.name, b.claim_count) for b in batches] == [
        (f"Health Plan {n:02d}", 50) for n in range(4)
    ]
    outbox = edi_root / alpha.schema_name / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == sorted(b.file_name for b in batches)
    seen: dict[str, Decimal] = {}
    for batch in batches:
        text = (outbox / batch.file_name).read_text()
        assert text == batch.content and batch.status == SubmissionBatch.Status.SENT
        assert batch.sent_to == str(outbox / batch.file_name)
        checked = pyx12_validate(text)
        assert checked.valid, checked.log[-10:]
        read = x12sdk_claims(text)
        assert len(read) == 50 and all(lines == 2 for _, _, lines in read)
        seen.update((pcn, total) for pcn, total, _ in read)
        envelope = read_837p(text).interchanges[0]
        assert (envelope.control_number, envelope.group_control_number) == (
            batch.isa_control_number,
            batch.gs_control_number,
        )
        assert envelope.transactions[0].control_number == batch.st_control_number
        payer_ids = {c.coverage.payer.payer_id for c in envelope.transactions[0].claims}
        assert payer_ids == {batch.payer.payer_ids["folder"]}
    assert seen == expected
    # Every envelope number is the practice's own and new.
    for field in ("isa_control_number", "gs_control_number", "st_control_number"):
        assert len({getattr(b, field) for b in batches}) == 4


def test_each_line_carries_its_line_control_number_and_dependents_their_own_loop(alpha: Practice) -> None:
    ready_claims(3, payers=1, dependent_every=2)
    result = submit(alpha)
    text = result.batches[0].content
    claims = {c.patient_control_number: c for c in read_837p(text).interchanges[0].transactions[0].claims}
    for claim in Claim.objects.prefetch_related("lines").select_related("coverage", "patient"):
        sent = claims[claim.patient_control_number]
        assert [line.control_number for line in sent.lines] == [
            line.line_control_number for line in claim.lines.order_by("line_number")
        ]
        assert [(line.procedure_code, line.charge) for line in sent.lines] == [
            (line.procedure_code, Decimal(line.charge_cents) / 100)
            for line in claim.lines.order_by("line_number")
        ]
        assert sent.diagnoses == tuple(code.replace(".", "") for code in claim.diagnosis_codes)
        if claim.coverage.relationship == "19":
            assert sent.patient is not None and sent.patient.relationship == "19"
            assert sent.patient.name.last == claim.patient.last_name
            assert sent.coverage.subscriber.name.first == "Sam"
        else:
            assert sent.patient is None
            assert sent.coverage.subscriber.name.last == claim.patient.last_name
        assert sent.rendering_provider is not None and sent.rendering_provider.name.last == "Able"


def test_submitted_claims_move_through_the_lifecycle_and_are_recorded_in_their_batch(alpha: Practice) -> None:
    claims = ready_claims(3, payers=1)
    result = submit(alpha)

    batch = result.batches[0]
    assert set(Claim.objects.values_list("status", flat=True)) == {S.SUBMITTED}
    assert set(BatchClaim.objects.filter(batch=batch).values_list("claim_id", flat=True)) == {
        c.pk for c in claims
    }
    moves = ClaimTransition.objects.filter(claim__in=claims)
    assert {(m.from_status, m.to_status, m.reason) for m in moves} == {
        (S.READY, S.SUBMITTED, f"Sent in {batch.file_name}.")
    }
    assert batch.total_charge_cents == sum(c.total_charge_cents for c in claims)
    # Nothing ready any more: a second run sends nothing and allocates no numbers.
    again = submit(alpha)
    assert again.batches == [] and again.failures == []
    assert SubmissionBatch.objects.count() == 1


def test_replacement_and_void_claims_name_the_original_and_validate(alpha: Practice) -> None:
    originals = ready_claims(2, payers=1, status=S.ACCEPTED)
    for n, original in enumerate(originals):
        Claim.objects.filter(pk=original.pk).update(payer_claim_control_number=f"PAYER-CCN-{n}")
    corrected = ready_claims(2, payers=1)
    for frequency, claim, original in zip(("7", "8"), corrected, originals, strict=True):
        Claim.objects.filter(pk=claim.pk).update(
            frequency_code=frequency,
            original_claim_number=f"PAYER-CCN-{originals.index(original)}",
            replaces=original,
        )

    result = submit(alpha)

    text = result.batches[0].content
    assert pyx12_validate(text).valid
    assert len(x12sdk_claims(text)) == 2
    sent = {c.patient_control_number: c for c in read_837p(text).interchanges[0].transactions[0].claims}
    assert (
        sent[corrected[0].patient_control_number].frequency,
        sent[corrected[0].patient_control_number].original_claim_number,
    ) == ("7", "PAYER-CCN-0")
    assert (
        sent[corrected[1].patient_control_number].frequency,
        sent[corrected[1].patient_control_number].original_claim_number,
    ) == ("8", "PAYER-CCN-1")
    assert "REF*F8*PAYER-CCN-0~" in text and "REF*F8*PAYER-CCN-1~" in text
    statuses = dict(Claim.objects.filter(pk__in=[o.pk for o in originals]).values_list("pk", "status"))
    assert statuses == {originals[0].pk: S.REPLACED, originals[1].pk: S.VOIDED}


def test_a_payer_whose_claims_x12_cannot_carry_is_not_sent_and_the_others_are(alpha: Practice) -> None:
    # A practice that switched the scrubber's delimiter rule off: the writer still refuses.
    ScrubRuleSetting.objects.create(rule_id="CLM-X12-001", enabled=False)
    claims = ready_claims(4, payers=2)
    bad = claims[0]
    Coverage.objects.filter(pk=bad.coverage_id).update(subscriber_last_name="Doe*Star")

    result = submit(alpha)

    assert [b.payer_id for b in result.batches] == [claims[1].payer_id]
    assert len(result.failures) == 1 and "'Doe*Star' contains '*'" in result.failures[0]
    assert bad.coverage.member_id in result.failures[0]
    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert statuses[bad.pk] == statuses[claims[2].pk] == S.READY
    assert statuses[claims[1].pk] == statuses[claims[3].pk] == S.SUBMITTED
    assert SubmissionBatch.objects.count() == 1


def test_ready_claims_are_scrubbed_again_and_those_with_errors_held_back(alpha: Practice) -> None:
    claims = ready_claims(3, payers=1)
    held = claims[1]
    Patient.objects.filter(pk=held.patient_id).update(last_name="Doe 2nd")

    result = submit(alpha)

    assert result.failures == [] and len(result.held) == 1
    assert result.held[0].startswith(f"{held.patient_control_number}: The patient's last name")
    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert statuses == {claims[0].pk: S.SUBMITTED, held.pk: S.DRAFT, claims[2].pk: S.SUBMITTED}
    move = ClaimTransition.objects.get(claim=held)
    assert (move.from_status, move.to_status) == (S.READY, S.DRAFT) and "scrub found errors" in move.reason
    assert Claim.objects.get(pk=held.pk).error_count >= 1
    assert result.batches[0].claim_count == 2


def test_a_file_the_adapter_cannot_deliver_leaves_everything_as_it_was(
    alpha: Practice, tmp_path: Path
) -> None:
    ready_claims(2, payers=1)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the outbox should be")

    result = submit_ready_claims(now=NOW, zone=alpha, clearinghouse=FolderClearinghouse(outbox=blocked))

    assert result.batches == [] and "Could not write" in result.failures[0]
    assert set(Claim.objects.values_list("status", flat=True)) == {S.READY}
    assert not SubmissionBatch.objects.exists() and not ClaimTransition.objects.exists()


def test_the_generate_path_costs_the_same_queries_for_50_and_500_claims(alpha: Practice) -> None:
    ready_claims(50, payers=2)
    with CaptureQueriesContext(connection) as small:
        assert len(submit(alpha).batches) == 2
    ready_claims(500, payers=2)
    with CaptureQueriesContext(connection) as large:
        assert sum(b.claim_count for b in submit(alpha).batches) == 500
    assert len(small.captured_queries) == len(large.captured_queries)


def test_claims_to_send_load_in_five_queries(alpha: Practice, django_assert_num_queries: Any) -> None:
    ready_claims(20, payers=3, dependent_every=2)
    with django_assert_num_queries(5):  # claims, lines, payers, providers, locations
        loaded = claims_to_send(Claim.objects.all())
    assert len(loaded) == 20 and all(len(claim.lines) == 2 for claim in loaded)
    assert {claim.payer.name for claim in loaded} == {"Health Plan 00", "Health Plan 01", "Health Plan 02"}


def test_the_folder_adapter_never_overwrites_and_stays_inside_the_practice_folder(
    alpha: Practice, edi_root: Path, tmp_path: Path
) -> None:
    adapter = FolderClearinghouse(outbox=tmp_path / "out")
    where = adapter.send(BatchFile("a.x12", "ISA*...~"))
    assert Path(where).read_text() == "ISA*...~"
    with pytest.raises(SendFailed, match="never overwritten"):
        adapter.send(BatchFile("a.x12", "something else"))
    assert Path(where).read_text() == "ISA*...~"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.x12"]

    profile = BillingProfile(outbox_path="../beta/outbox")
    with pytest.raises(ClaimsError, match="inside the practice's own"):
        for_practice(profile)
    inside = for_practice(BillingProfile(outbox_path="sent-here"))
    assert isinstance(inside, FolderClearinghouse)
    assert inside.outbox == (edi_root / alpha.schema_name / "sent-here").resolve()


def test_submit_claims_command_prints_each_file(
    practice_a: Practice, in_practice: Any, tmp_path: Path, edi_root: Path
) -> None:
    with in_practice(practice_a):
        ready_claims(3, payers=2)
    out = StringIO()
    call_command("submit_claims", "--practice", practice_a.slug, "--out", str(tmp_path / "files"), stdout=out)
    printed = out.getvalue().splitlines()
    files = sorted((tmp_path / "files").iterdir())
    assert len(printed) == len(files) == 2
    for line, path in zip(sorted(printed), files, strict=True):
        assert line.startswith(f"{path}: ") and "claims to Health Plan" in line

    out = StringIO()
    call_command("submit_claims", "--practice", practice_a.slug, stdout=out)
    assert "no claims are ready to send" in out.getvalue()
    with in_practice(practice_a):
        held = ready_claims(1)[0]
        Patient.objects.filter(pk=held.patient_id).update(last_name="Doe 2nd")
    out = StringIO()
    call_command("submit_claims", "--practice", practice_a.slug, stdout=out)
    assert f"held back (back to draft, scrub errors): {held.patient_control_number}: " in out.getvalue()
    with pytest.raises(CommandError, match="No practice 'nowhere'"):
        call_command("submit_claims", "--practice", "nowhere")


def test_submit_claims_command_fails_naming_the_claim_it_could_not_send(
    practice_a: Practice, in_practice: Any, edi_root: Path
) -> None:
    with in_practice(practice_a):
        ScrubRuleSetting.objects.create(rule_id="CLM-X12-001", enabled=False)
        claim = ready_claims(1)[0]
        Claim.objects.filter(pk=claim.pk).update(prior_authorization_number="AUTH~1")
    err = StringIO()
    with pytest.raises(CommandError, match="1 batch"):
        call_command("submit_claims", "--practice", practice_a.slug, stderr=err)
    assert claim.patient_control_number in err.getvalue()
    with in_practice(practice_a):
        assert Claim.objects.get(pk=claim.pk).status == S.READY
