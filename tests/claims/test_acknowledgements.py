"""Acknowledgements into claim states: pyx12's own 999 for a broken 837P the product sent, 277CA
accepts and rejects, re-reading a file, and malformed input changing nothing."""

import datetime
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from practica.audit.models import AuditEvent
from practica.claims import lifecycle, tasks
from practica.claims.acknowledgements import AcknowledgementError, import_acknowledgement
from practica.claims.models import (
    AcknowledgedClaim,
    Acknowledgement,
    Claim,
    ClaimStatus,
    ClaimTransition,
    SubmissionBatch,
)
from practica.claims.submission import submit_ready_claims
from tenants.models import Practice
from tests.claims.factories import ready_claims
from tests.x12.validators import pyx12_validate

S = ClaimStatus
NOW = datetime.datetime(2026, 3, 4, 15, 30, tzinfo=datetime.UTC)
FILES = Path(__file__).resolve().parents[1] / "x12" / "files"


@pytest.fixture
def alpha(practice_a: Practice, in_practice: Any, settings: Any, tmp_path: Path) -> Iterator[Practice]:
    settings.EDI_ROOT = str(tmp_path / "edi")
    with in_practice(practice_a):
        yield practice_a


def sent(count: int) -> tuple[SubmissionBatch, list[Claim]]:
    ready_claims(count, payers=1)
    batch = submit_ready_claims(now=NOW, zone="America/New_York").batches[0]
    return batch, list(Claim.objects.order_by("patient_control_number"))


def statuses() -> dict[str, str]:
    return dict(Claim.objects.values_list("patient_control_number", "status"))


def ack_277ca(pcns: list[str]) -> str:
    """The sample 277CA (claim 1 accepted with the payer's number, 2 and 3 rejected) for our claims."""
    text = (FILES / "277ca-mixed.x12").read_text()
    for n, pcn in enumerate(pcns, start=1):
        text = text.replace(f"PCN{n:06d}", pcn)
    return text


def test_pyx12s_999_for_a_broken_837p_rejects_its_claims_naming_the_ik3_segment(
    alpha: Practice, tmp_path: Path
) -> None:
    batch, claims = sent(3)
    # The product's file with one subscriber's claim filing indicator broken (as if it had sent so).
    sbr = next(s for s in batch.content.split("~") if s.startswith("SBR*"))
    broken = batch.content.replace(sbr, sbr[:-2] + "Q9", 1)
    SubmissionBatch.objects.filter(pk=batch.pk).update(content=broken)
    checked = pyx12_validate(broken)
    assert not checked.valid
    ik3 = next(s for s in checked.ack.split("~") if s.strip().startswith("IK3*")).strip().split("*")
    path = tmp_path / "pyx12.999"
    path.write_text(checked.ack)

    out = StringIO()
    call_command("import_acknowledgements", "--practice", alpha.slug, str(path), stdout=out)

    assert "999, 0 claims in accepted files, 3 rejected (" in out.getvalue()
    assert set(statuses().values()) == {S.REJECTED}
    batch.refresh_from_db()
    assert batch.status == SubmissionBatch.Status.REJECTED
    ack = Acknowledgement.objects.get()
    assert (ack.kind, ack.batch_id, ack.file_name) == ("999", batch.pk, "pyx12.999")
    results = {r.claim.patient_control_number: r for r in ack.claim_results.select_related("claim")}
    named = f"{ik3[1]} at position {ik3[2]}" + (f" (loop {ik3[3]})" if len(ik3) > 3 and ik3[3] else "")
    assert ik3[1] == "SBR"
    # The broken SBR is the first claim's subscriber loop: that claim is told so in its own words.
    first = results[claims[0].patient_control_number]
    assert first.outcome == "rejected" and first.segment == named
    assert "SBR09 'Q9': invalid code value" in first.message
    # The others went down with the transaction set, and are told which segment sank it.
    assert all(r.outcome == "rejected" and r.segment == named for r in results.values())
    moves = ClaimTransition.objects.filter(to_status=S.REJECTED)
    assert moves.count() == 3 and all(m.reason.startswith("999 pyx12.999:") for m in moves)

    # Read again: nothing changes.
    out = StringIO()
    call_command("import_acknowledgements", "--practice", alpha.slug, str(path), stdout=out)
    assert "read before" in out.getvalue()
    assert (
        Acknowledgement.objects.count() == 1
        and ClaimTransition.objects.filter(to_status=S.REJECTED).count() == 3
    )


def test_pyx12s_999_for_a_valid_file_accepts_the_batch_and_leaves_claims_to_the_277ca(
    alpha: Practice,
) -> None:
    batch, _ = sent(2)
    result = import_acknowledgement("ok.999", pyx12_validate(batch.content).ack.encode())
    assert (result.kind, len(result.accepted), result.rejected) == ("999", 2, [])
    batch.refresh_from_db()
    assert batch.status == SubmissionBatch.Status.ACCEPTED
    assert set(statuses().values()) == {S.SUBMITTED}


def test_a_277ca_accepts_and_rejects_each_claim_once(alpha: Practice, tmp_path: Path) -> None:
    _, claims = sent(3)
    pcns = [c.patient_control_number for c in claims]
    content = ack_277ca(pcns).encode()

    result = import_acknowledgement("status.277", content)

    assert (result.accepted, sorted(result.rejected)) == ([pcns[0]], sorted(pcns[1:]))
    assert statuses() == {pcns[0]: S.ACCEPTED, pcns[1]: S.REJECTED, pcns[2]: S.REJECTED}
    accepted = Claim.objects.get(patient_control_number=pcns[0])
    assert accepted.payer_claim_control_number == "2026062000123"
    assert AuditEvent.objects.filter(
        object_type="claims.claim",
        object_id=str(accepted.pk),
        changed_fields__contains=["payer_claim_control_number"],
    ).exists()
    rejected = AcknowledgedClaim.objects.get(claim__patient_control_number=pcns[1])
    assert (
        rejected.segment.startswith("STC A7:562:85")
        and "A7 rejected for invalid information" in rejected.message
    )
    reasons = set(
        ClaimTransition.objects.filter(to_status__in=[S.ACCEPTED, S.REJECTED]).values_list(
            "reason", flat=True
        )
    )
    assert all(reason.startswith("277CA status.277:") for reason in reasons) and len(reasons) == 3

    again = import_acknowledgement("renamed.277", content)
    assert not again.new and Acknowledgement.objects.count() == 1
    path = tmp_path / "again.277"
    path.write_bytes(content)
    out = StringIO()
    call_command("import_acknowledgements", "--practice", alpha.slug, str(path), stdout=out)
    assert out.getvalue() == f"{path}: read before (277CA); nothing changed\n"
    assert ClaimTransition.objects.filter(to_status__in=[S.ACCEPTED, S.REJECTED]).count() == 3


def test_malformed_input_names_the_segment_and_line_and_changes_nothing(
    alpha: Practice, tmp_path: Path
) -> None:
    _, claims = sent(3)
    pcns = [c.patient_control_number for c in claims]
    text = ack_277ca(pcns)
    # The third claim's STC carries an impossible date: the first two must not be applied either.
    broken = text.replace("STC*A3:21*20260303", "STC*A3:21*2026033X")
    line = broken[: broken.index("STC*A3:21*2026033X")].count("\n") + 1
    before = statuses()

    with pytest.raises(AcknowledgementError) as caught:
        import_acknowledgement("broken.277", broken.encode())
    assert f"segment STC at line {line}" in str(caught.value) and "'2026033X' is not a date" in str(
        caught.value
    )

    unknown = text.replace(pcns[2], "C99999999")
    with pytest.raises(AcknowledgementError, match="'C99999999', which this practice never sent"):
        import_acknowledgement("unknown.277", unknown.encode())
    with pytest.raises(AcknowledgementError, match="not X12 text"):
        import_acknowledgement("photo.jpg", b"\xff\xd8\xff\xe0")
    assert statuses() == before
    assert not Acknowledgement.objects.exists() and not AcknowledgedClaim.objects.exists()

    path = tmp_path / "broken.277"
    path.write_text(broken)
    err = StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_acknowledgements", "--practice", alpha.slug, str(path), stderr=err)
    assert f"segment STC at line {line}" in err.getvalue()
    assert statuses() == before


def test_a_999_for_a_group_never_sent_changes_nothing(alpha: Practice) -> None:
    batch, _ = sent(1)
    ack = pyx12_validate(batch.content).ack
    foreign = ack.replace(f"AK1*HC*{batch.gs_control_number}*", "AK1*HC*987654*")
    with pytest.raises(AcknowledgementError, match="group 987654, which this practice never sent"):
        import_acknowledgement("other.999", foreign.encode())
    batch.refresh_from_db()
    assert batch.status == SubmissionBatch.Status.SENT and not Acknowledgement.objects.exists()


def test_the_inbox_task_imports_waiting_files_and_sets_aside_the_ones_it_cannot(
    alpha: Practice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, claims = sent(3)
    pcns = [c.patient_control_number for c in claims]
    inbox = tmp_path / "edi" / alpha.schema_name / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "status.277").write_text(ack_277ca(pcns))
    (inbox / "garbage.999").write_text("not X12 at all")

    queued: list[int] = []
    monkeypatch.setattr(tasks.import_inbox, "delay", queued.append)
    assert tasks.import_acknowledgement_inboxes() == 1 and queued == [alpha.pk]

    assert tasks.import_inbox(alpha.pk) == 1

    assert statuses() == {pcns[0]: S.ACCEPTED, pcns[1]: S.REJECTED, pcns[2]: S.REJECTED}
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == []
    assert (inbox / "read" / "status.277").is_file()
    assert (inbox / "refused" / "garbage.999").is_file()
    assert "garbage.999" in (inbox / "refused" / "garbage.999.error.txt").read_text()
    # Nothing left: a second run imports nothing and changes nothing.
    assert tasks.import_inbox(alpha.pk) == 0
    assert Acknowledgement.objects.count() == 1


def test_a_999_of_an_older_batch_does_not_move_claims_sent_again_since(alpha: Practice) -> None:
    batch, claims = sent(2)
    sbr = next(s for s in batch.content.split("~") if s.startswith("SBR*"))
    broken = batch.content.replace(sbr, sbr[:-2] + "Q9", 1)
    SubmissionBatch.objects.filter(pk=batch.pk).update(content=broken)
    rejection = pyx12_validate(broken).ack
    import_acknowledgement("first.999", rejection.encode())
    assert set(statuses().values()) == {S.REJECTED}
    # Fixed and sent again in a new batch...
    lifecycle.transition_claims(claims, S.DRAFT)
    lifecycle.transition_claims(claims, S.READY)
    again = submit_ready_claims(now=NOW, zone="America/New_York").batches[0]
    assert again.pk != batch.pk and set(statuses().values()) == {S.SUBMITTED}

    # ...then the clearinghouse sends its old 999 once more (another file: a line break added).
    result = import_acknowledgement("resent.999", (rejection + "\n").encode())

    assert result.new and sorted(result.rejected) == sorted(c.patient_control_number for c in claims)
    assert set(statuses().values()) == {S.SUBMITTED}
