"""Acknowledgements read into claim states: a 999 (did the clearinghouse take the file?) and a
277CA (did the payer take each claim?). Called by `manage.py import_acknowledgements` and by the
folder adapter's inbox task.

- 999: the group is found by its GS06 among the practice's batches. A rejected transaction set
  rejects every claim it carried (unless the claim was sent again in a later batch since); each
  claim is told which IK3 segment concerns it (the segment's own claim, or every claim under the
  loop it is in: practica.x12.read837.claims_at), or the first one when none is its own. The
  batch is marked accepted, partly accepted or rejected.
- 277CA: each claim (TRN02 = our patient control number) accepted moves to accepted (and keeps
  the payer's claim control number, REF*1K, that a replacement or void must quote); rejected
  moves to rejected; pending moves nothing.

One file is one transaction: it is applied whole or not at all. A file is known by the SHA-256 of
its bytes, so reading it again changes nothing (two imports of the same file at once: the unique
hash lets one in). Input that is not X12, or names a batch or claim the practice never sent, is
refused with a message naming the segment (and line) and changes nothing.
"""

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from practica.audit.context import current_actor
from practica.claims import lifecycle
from practica.claims.clearinghouse import Clearinghouse
from practica.claims.errors import ClaimsError
from practica.claims.models import (
    AcknowledgedClaim,
    Acknowledgement,
    BatchClaim,
    Claim,
    ClaimStatus,
    SubmissionBatch,
)
from practica.x12.ack277ca import Ack277CA, ClaimAck, read_277ca
from practica.x12.ack999 import Ack999, GroupAck, SegmentError, TransactionSetAck, read_999
from practica.x12.errors import X12ParseError
from practica.x12.read837 import as_json, claims_at
from practica.x12.tokens import read_interchanges

S = ClaimStatus
Outcome = AcknowledgedClaim.Outcome


class AcknowledgementError(ClaimsError):
    code = "invalid_acknowledgement"


@dataclass
class ImportResult:
    """What one file did: its kind, whether it was new, and the claims it accepted and rejected
    (patient control numbers)."""

    file_name: str
    kind: str
    new: bool
    acknowledgement: Acknowledgement
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


@dataclass
class _Verdict:
    claim: Claim
    outcome: str
    message: str
    segment: str
    # False when the claim has been sent again since (a 999 of an older batch moves nothing):
    # batches are ordered by their ISA13, which the practice's sequence hands out in order.
    movable: bool = True


def import_acknowledgement(file_name: str, content: bytes) -> ImportResult:
    """Read one 999 or 277CA file into the practice's claims. Raises AcknowledgementError naming
    the file, and the segment and line where it can, with nothing changed."""
    digest = hashlib.sha256(content).hexdigest()
    known = Acknowledgement.objects.filter(content_sha256=digest).first()
    if known is not None:
        return ImportResult(file_name, known.kind, False, known)
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError as exc:
        raise AcknowledgementError(f"{file_name}: not X12 text (byte {exc.start} is not ASCII).") from None
    try:
        kind = _kind(text)
        parsed: Ack999 | Ack277CA = (
            read_999(text) if kind == Acknowledgement.Kind.IMPLEMENTATION else read_277ca(text)
        )
    except X12ParseError as exc:
        raise AcknowledgementError(f"{file_name}: {exc}") from None
    try:
        with transaction.atomic():
            ack = Acknowledgement.objects.create(
                kind=kind,
                file_name=file_name[:200],
                content_sha256=digest,
                result=as_json(parsed),
                imported_by_id=current_actor.get().user_id,
            )
            if isinstance(parsed, Ack999):
                verdicts = _apply_999(ack, parsed, file_name)
            else:
                verdicts = _apply_277ca(ack, parsed, file_name)
            _record(ack, verdicts, file_name)
    except IntegrityError:
        # The same file, imported at the same moment by someone else: theirs counts.
        known = Acknowledgement.objects.filter(content_sha256=digest).first()
        if known is None:
            raise
        return ImportResult(file_name, known.kind, False, known)
    result = ImportResult(file_name, kind, True, ack)
    for verdict in verdicts:
        target = result.accepted if verdict.outcome == Outcome.ACCEPTED else result.rejected
        target.append(verdict.claim.patient_control_number)
    return result


def import_from_clearinghouse(adapter: Clearinghouse) -> tuple[list[ImportResult], list[str]]:
    """Every acknowledgement file the clearinghouse has waiting, each in its own transaction; files
    that cannot be imported are set aside with the reason (returned too), the others marked read."""
    results: list[ImportResult] = []
    refused: list[str] = []
    for received in adapter.fetch_acknowledgements():
        try:
            results.append(import_acknowledgement(received.name, received.content))
        except AcknowledgementError as exc:
            refused.append(exc.message)
            adapter.set_aside(received, exc.message)
            continue
        adapter.mark_read(received)
    return results, refused


def _kind(text: str) -> str:
    for interchange in read_interchanges(text):
        for group in interchange.groups:
            for transaction_set in group.transactions:
                if transaction_set.code == "999":
                    return Acknowledgement.Kind.IMPLEMENTATION
                if transaction_set.code == "277":
                    return Acknowledgement.Kind.CLAIM_STATUS
                raise transaction_set.segments[0].error(
                    f"a {transaction_set.code} transaction set: acknowledgements are 999 or 277CA files"
                )
    raise X12ParseError("the file holds no transaction set")


# ---- 999 --------------------------------------------------------------------------------------


def _apply_999(ack: Acknowledgement, parsed: Ack999, file_name: str) -> list[_Verdict]:
    wanted = {int(g.control_number): g for g in parsed.groups if g.control_number.isdigit()}
    if len(wanted) != len(parsed.groups):
        bad = next(g.control_number for g in parsed.groups if not g.control_number.isdigit())
        raise AcknowledgementError(f"{file_name}: AK102 {bad!r} is not a group control number.")
    batches = {b.gs_control_number: b for b in SubmissionBatch.objects.filter(gs_control_number__in=wanted)}
    missing = sorted(set(wanted) - set(batches))
    if missing:
        raise AcknowledgementError(
            f"{file_name}: AK1 acknowledges group {missing[0]}, which this practice never sent."
        )
    members = defaultdict(list)
    for link in BatchClaim.objects.filter(batch__in=batches.values()).select_related("claim"):
        members[link.batch_id].append(link.claim)
    verdicts: list[_Verdict] = []
    for number, group in wanted.items():
        batch = batches[number]
        set_ack = group.find(batch.st_control_number)
        outcome = group.outcome_of(batch.st_control_number)
        claims = sorted(members[batch.pk], key=lambda c: c.patient_control_number)
        if outcome == "accepted":
            verdicts += [_Verdict(c, Outcome.ACCEPTED, _set_message(group, set_ack), "") for c in claims]
        else:
            verdicts += _rejections(batch, claims, group, set_ack)
        batch.status = {
            "accepted": SubmissionBatch.Status.ACCEPTED,
            "rejected": SubmissionBatch.Status.REJECTED,
            "partial": SubmissionBatch.Status.PARTIAL,
        }[group.outcome if group.outcome == "partial" else outcome]
        batch.save(update_fields=["status"])
    if len(batches) == 1:
        ack.batch = next(iter(batches.values()))
        ack.save(update_fields=["batch"])
    sent_last = dict(
        BatchClaim.objects.filter(claim__in=[v.claim for v in verdicts])
        .values("claim_id")
        .annotate(last=Max("batch__isa_control_number"))
        .values_list("claim_id", "last")
    )
    batch_of = {claim.pk: batch for batch in batches.values() for claim in members[batch.pk]}
    for verdict in verdicts:
        verdict.movable = sent_last.get(verdict.claim.pk) == batch_of[verdict.claim.pk].isa_control_number
    return verdicts


def _set_message(group: GroupAck, set_ack: TransactionSetAck | None) -> str:
    if set_ack is not None:
        return set_ack.message
    return f"functional group {group.control_number}: {group.outcome}"


def _rejections(
    batch: SubmissionBatch, claims: list[Claim], group: GroupAck, set_ack: TransactionSetAck | None
) -> list[_Verdict]:
    """Every claim of a rejected set is rejected, each named with the segment that concerns it."""
    errors = set_ack.segment_errors if set_ack else ()
    concerning: dict[str, list[SegmentError]] = defaultdict(list)
    for error in errors:
        for pcn in claims_at(batch.content, batch.st_control_number, error.position):
            concerning[pcn].append(error)
    verdicts = []
    for claim in claims:
        own = concerning.get(claim.patient_control_number, [])
        named = own[0] if own else (errors[0] if errors else None)
        message = "; ".join(error.summary() for error in own) if own else _set_message(group, set_ack)
        verdicts.append(_Verdict(claim, Outcome.REJECTED, message, _segment_name(named) if named else ""))
    return verdicts


def _segment_name(error: SegmentError) -> str:
    """'SBR at position 12 (loop 2000B)': the IK3's segment, as the 999 gives it."""
    loop = f" (loop {error.loop})" if error.loop else ""
    return f"{error.segment_id} at position {error.position}{loop}"


# ---- 277CA ------------------------------------------------------------------------------------


def _apply_277ca(ack: Acknowledgement, parsed: Ack277CA, file_name: str) -> list[_Verdict]:
    decided = [c for c in parsed.by_patient_control_number().values() if c.outcome != "pending"]
    claims = Claim.objects.in_bulk(
        [c.patient_control_number for c in decided], field_name="patient_control_number"
    )
    verdicts = []
    numbers: dict[uuid.UUID, str] = {}
    for claim_ack in decided:
        claim = claims.get(claim_ack.patient_control_number)
        if claim is None:
            raise AcknowledgementError(
                f"{file_name}: segment TRN of the claim at line {claim_ack.line} names claim "
                f"{claim_ack.patient_control_number!r}, which this practice never sent."
            )
        verdicts.append(_claim_verdict(claim, claim_ack))
        number = claim_ack.payer_claim_control_number[:50]
        if number and claim_ack.outcome == "accepted" and number != claim.payer_claim_control_number:
            claim.payer_claim_control_number = number
            numbers[claim.pk] = number
    _store_payer_claim_numbers(numbers)
    batch_ids = set(
        BatchClaim.objects.filter(claim__in=[v.claim for v in verdicts])
        .order_by()
        .values_list("batch_id", flat=True)
        .distinct()[:2]
    )
    if len(batch_ids) == 1:
        ack.batch_id = batch_ids.pop()
        ack.save(update_fields=["batch"])
    return verdicts


def _store_payer_claim_numbers(numbers: dict[uuid.UUID, str]) -> None:
    """The payers' claim numbers by UPDATE ... FROM VALUES, 10,000 claims a statement (bulk_update's
    CASE per claim grows quadratically with thousands of claims); the audit triggers record each
    row as usual."""
    table = connection.ops.quote_name(Claim._meta.db_table)
    pairs = [(str(pk), number) for pk, number in numbers.items()]
    for start in range(0, len(pairs), 10_000):
        chunk = pairs[start : start + 10_000]
        rows = ", ".join(["(%s::uuid, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS claim SET payer_claim_control_number = given.number "  # noqa: S608
                f"FROM (VALUES {rows}) AS given(id, number) WHERE claim.id = given.id",
                [value for pair in chunk for value in pair],
            )


def _claim_verdict(claim: Claim, claim_ack: ClaimAck) -> _Verdict:
    codes = " ".join(
        ":".join(part for part in (c.category, c.code, c.entity) if part)
        for s in claim_ack.statuses
        for c in s.codes
    )
    return _Verdict(
        claim,
        Outcome.ACCEPTED if claim_ack.outcome == "accepted" else Outcome.REJECTED,
        claim_ack.message,
        f"STC {codes} (line {claim_ack.line})",
    )


# ---- both -------------------------------------------------------------------------------------


def _record(ack: Acknowledgement, verdicts: list[_Verdict], file_name: str) -> None:
    """The verdicts as rows, and each claim moved where its status allows (a claim already moved
    on, resubmitted say, keeps its status: the row still says what the file said)."""
    AcknowledgedClaim.objects.bulk_create(
        AcknowledgedClaim(
            acknowledgement=ack,
            claim=v.claim,
            outcome=v.outcome,
            message=v.message[:500],
            segment=v.segment[:80],
        )
        for v in verdicts
    )
    moves: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for v in verdicts:
        if ack.kind == Acknowledgement.Kind.IMPLEMENTATION and v.outcome == Outcome.ACCEPTED:
            continue  # a 999 accepts the file, not the claim: the payer's 277CA does that
        if not v.movable:
            continue
        goal: str = S.ACCEPTED if v.outcome == Outcome.ACCEPTED else S.REJECTED
        if v.claim.status != goal and lifecycle.can_transition(v.claim.status, goal):
            moves[(goal, f"{ack.kind} {file_name}: {v.message}"[:300])].append(v.claim)
    for (goal, reason), claims in moves.items():
        lifecycle.transition_claims(claims, goal, reason=reason)
