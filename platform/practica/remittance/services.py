"""Remittance writes: an 835 file read and posted, a held payment matched by a person, a probable
duplicate decided, an exception dismissed, a paper EOB posted by hand. Every one ends in the
posting engine (practica.remittance.posting), so a rule lives once.

One file is one transaction: read whole before anything is written (a file that is not a readable
835 is refused with the segment and line, and changes nothing), then recorded and posted together.
A file is known by the SHA-256 of its bytes: importing it again posts nothing (two imports of the
same file at once: the unique hash lets one in). A payment whose check or EFT trace number (TRN02,
with its originator TRN03) came before in another file is recorded but held as a probable
duplicate until a person decides.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from practica.audit.context import current_actor
from practica.claims.models import Claim, ClaimLine
from practica.insurance.models import Payer
from practica.remittance import posting
from practica.remittance.errors import RemittanceError
from practica.remittance.models import (
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    RemittanceException,
    RemittanceFile,
    ServicePayment,
)
from practica.x12 import remit835
from practica.x12.errors import X12ParseError

Kind = RemittanceException.Kind
Status = RemittanceException.Status


@dataclass
class ImportResult:
    """What one file did: whether it was new, claim payments posted, exceptions opened, payments
    held as probable duplicates, and pyx12's findings."""

    file_name: str
    new: bool
    file: RemittanceFile
    posted: int = 0
    exceptions: int = 0
    duplicates: int = 0
    findings: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if not self.new:
            return f"{self.file_name}: read before, nothing posted"
        return (
            f"{self.file_name}: {self.posted} posted, {self.exceptions} exceptions, "
            f"{self.duplicates} probable duplicates"
        )


def read_file(file_name: str, content: bytes) -> tuple[str, remit835.Remittance835]:
    """The text and what the reader found; RemittanceError naming the file, segment and line."""
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError as exc:
        raise RemittanceError(f"{file_name}: not X12 text (byte {exc.start} is not ASCII).") from None
    try:
        return text, remit835.read_835(text)
    except X12ParseError as exc:
        raise RemittanceError(f"{file_name}: {exc}") from None


# pyx12 takes about 4 s per MB: a larger file is checked by a worker after it is posted.
VALIDATE_INLINE_BYTES = 256 * 1024


def import_remittance(
    file_name: str,
    content: bytes,
    *,
    source: str = RemittanceFile.Source.UPLOAD,
    validate: bool | None = None,
) -> ImportResult:
    """Read one 835 file and post what matches and balances; hold the rest with its exceptions.
    Raises RemittanceError with nothing changed when the file is not a readable 835. pyx12 checks
    it first (`validate` None: when it is small; a larger one is checked by a worker once posted,
    its findings added then), or not at all (False)."""
    digest = hashlib.sha256(content).hexdigest()
    known = RemittanceFile.objects.filter(content_sha256=digest).first()
    if known is not None:
        return ImportResult(file_name, False, known)
    text, parsed = read_file(file_name, content)
    inline = validate if validate is not None else len(content) <= VALIDATE_INLINE_BYTES
    validation: dict[str, object] = _validate(text) if inline else {"checked": False}
    try:
        with transaction.atomic():
            record = RemittanceFile.objects.create(
                file_name=file_name[:200],
                source=source,
                content_sha256=digest,
                content=text,
                interchange_control_number=parsed.interchange_control_number[:9],
                validation=validation,
                imported_by_id=current_actor.get().user_id,
            )
            result = ImportResult(file_name, True, record, findings=_findings(validation))
            _record_and_post(record, parsed, result)
            if validate is None and not inline:
                transaction.on_commit(lambda: _queue_validation(record.pk))
    except IntegrityError:
        known = RemittanceFile.objects.filter(content_sha256=digest).first()
        if known is None:
            raise
        return ImportResult(file_name, False, known)
    return result


def _queue_validation(file_id: uuid.UUID) -> None:
    from practica.remittance.tasks import validate_remittance_file

    validate_remittance_file.delay(str(file_id))


def record_validation(file: RemittanceFile) -> list[str]:
    """pyx12's check of a file already posted (a worker's job for large files): its findings kept
    with the file and, when there are any, an exception to show them."""
    validation = _validate(file.content)
    findings = _findings(validation)
    with transaction.atomic():
        RemittanceFile.objects.filter(pk=file.pk).update(validation=validation)
        if findings:
            RemittanceException.objects.create(
                file=file,
                remittance=file.remittances.order_by("position").first(),
                kind=Kind.VALIDATION,
                message=(
                    f"pyx12 found {len(findings)} problems with {file.file_name}: " + "; ".join(findings[:3])
                )[:500],
            )
    return findings


def _findings(validation: dict[str, object]) -> list[str]:
    found = validation.get("findings")
    return [str(f) for f in found] if isinstance(found, list) else []


def _validate(text: str) -> dict[str, object]:
    from practica.remittance.validation import validate_835

    return validate_835(text)


def _payers(parsed: remit835.Remittance835) -> dict[str, Payer]:
    """The practice's payers named by the file's payer ids (N1*PR's id, REF*2U), any clearinghouse."""
    ids = {r.payer_identifier for r in parsed.remittances if r.payer_identifier}
    if not ids:
        return {}
    found: dict[str, Payer] = {}
    for payer in Payer.objects.all():
        for value in payer.payer_ids.values():
            if str(value) in ids:
                found.setdefault(str(value), payer)
    return found


def _record_and_post(record: RemittanceFile, parsed: remit835.Remittance835, result: ImportResult) -> None:
    payers = _payers(parsed)
    remittances = [
        Remittance(
            file=record,
            position=position,
            payer=payers.get(r.payer_identifier),
            payer_name=r.payer_name[:120],
            payer_identifier=r.payer_identifier[:80],
            payee_name=r.payee_name[:120],
            payee_identifier=r.payee_identifier[:80],
            handling_code=r.handling_code[:2],
            payment_method=r.payment_method[:3],
            credit_debit=r.credit_debit[:1],
            total_paid_cents=r.total_paid_cents,
            payment_date=r.payment_date,
            trace_number=r.trace_number[:50],
            originator_id=r.originator_id[:50],
            st_control_number=r.control_number[:9],
            created_by_id=current_actor.get().user_id,
        )
        for position, r in enumerate(parsed.remittances, 1)
    ]
    Remittance.objects.bulk_create(remittances)
    problems: list[RemittanceException] = []
    held = _flag_duplicates(remittances, problems)
    result.duplicates = len(held)
    bundles: list[posting.Bundle] = []
    for row, read in zip(remittances, parsed.remittances, strict=True):
        bundles += _bundles(row, read)
        problems += [
            RemittanceException(remittance=row, file=record, kind=Kind.FILE_OUT_OF_BALANCE, message=m[:500])
            for m in _file_balance(read)
        ]
        ProviderAdjustment.objects.bulk_create(
            ProviderAdjustment(
                remittance=row,
                provider_identifier=p.provider_identifier[:50],
                fiscal_period_end=p.fiscal_period_end,
                reason_code=p.reason[:2],
                reference=p.reference[:50],
                amount_cents=p.amount_cents,
            )
            for p in read.provider_adjustments
        )
    if result.findings:
        problems.append(
            RemittanceException(
                file=record,
                remittance=remittances[0] if remittances else None,
                kind=Kind.VALIDATION,
                message=f"pyx12 found {len(result.findings)} problems with {record.file_name}: "
                + "; ".join(result.findings[:3])[:400],
            )
        )
    posting.decide(bundles, held_remittances=held)
    _save_bundles(bundles)
    for bundle in bundles:
        for problem in bundle.problems:
            problem.remittance = bundle.payment.remittance
            problem.file = record
            problem.claim_payment = bundle.payment
        problems += bundle.problems
    RemittanceException.objects.bulk_create(problems, batch_size=2000)
    result.exceptions = len(problems)
    result.posted = len(posting.post(bundles).posted)


def _flag_duplicates(remittances: list[Remittance], problems: list[RemittanceException]) -> set[uuid.UUID]:
    """Payments whose trace number came before in another file (or by hand): held for a person."""
    traces = {r.trace_number for r in remittances if r.trace_number}
    if not traces:
        return set()
    earlier: dict[tuple[str, str], Remittance] = {}
    mine = [r.pk for r in remittances]
    for row in (
        Remittance.objects.filter(trace_number__in=traces)
        .exclude(pk__in=mine)
        .exclude(duplicate_status=Remittance.Duplicate.CONFIRMED)
        .select_related("file")
        .order_by("created_at")
    ):
        earlier.setdefault((row.trace_number, row.originator_id), row)
    held = set()
    for row in remittances:
        first = earlier.get((row.trace_number, row.originator_id))
        if first is None or not row.trace_number:
            continue
        row.duplicate_status = Remittance.Duplicate.SUSPECTED
        row.duplicate_of = first
        held.add(row.pk)
        where = f"file {first.file.file_name}" if first.file else "a payment posted by hand"
        problems.append(
            RemittanceException(
                remittance=row,
                file=row.file,
                kind=Kind.PROBABLE_DUPLICATE,
                message=(
                    f"Trace number {row.trace_number} ({_money(row.total_paid_cents)}) was already "
                    f"received in {where} on {first.created_at:%Y-%m-%d}: post it only if it is a "
                    "different payment."
                )[:500],
            )
        )
    if held:
        Remittance.objects.bulk_update(
            [r for r in remittances if r.pk in held], ["duplicate_status", "duplicate_of"]
        )
    return held


def _money(cents: int) -> str:
    return posting._money(cents)


def _file_balance(read: remit835.Remittance) -> list[str]:
    paid = sum(c.paid_cents for c in read.claims)
    expected = paid - read.provider_adjustment_cents
    sign = -1 if read.credit_debit == "D" else 1
    if sign * read.total_paid_cents == expected:
        return []
    return [
        f"Payment {read.trace_number or read.control_number}: BPR02 {_money(read.total_paid_cents)} is "
        f"not the claim payments {_money(paid)} less provider adjustments "
        f"{_money(read.provider_adjustment_cents)} "
        f"(off by {_money(sign * read.total_paid_cents - expected)}); "
        "each claim is posted on its own balance."
    ]


def _bundles(row: Remittance, read: remit835.Remittance) -> list[posting.Bundle]:
    bundles = []
    for position, clp in enumerate(read.claims, 1):
        cp = ClaimPayment(
            id=uuid.uuid4(),
            remittance=row,
            position=position,
            patient_control_number=clp.patient_control_number[:38],
            status_code=clp.status_code[:2],
            charge_cents=clp.charge_cents,
            paid_cents=clp.paid_cents,
            patient_responsibility_cents=clp.patient_responsibility_cents,
            filing_indicator=clp.filing_indicator[:2],
            payer_claim_control_number=clp.payer_claim_control_number[:50],
            patient_last_name=clp.patient_last_name[:60],
            patient_first_name=clp.patient_first_name[:35],
            member_id=clp.member_id[:80],
            statement_from=clp.statement_from,
            statement_to=clp.statement_to,
            remark_codes=list(clp.remark_codes),
            source_line=clp.line,
        )
        bundle = posting.Bundle(payment=cp)
        for number, svc in enumerate(clp.services, 1):
            service = ServicePayment(
                id=uuid.uuid4(),
                claim_payment=cp,
                position=number,
                procedure_qualifier=svc.qualifier[:2],
                procedure_code=svc.procedure[:48],
                modifiers=list(svc.modifiers),
                submitted_procedure_code=":".join((svc.submitted_procedure, *svc.submitted_modifiers))[:48]
                if svc.submitted_procedure
                else "",
                charge_cents=svc.charge_cents,
                paid_cents=svc.paid_cents,
                allowed_cents=svc.allowed_cents,
                units_paid=svc.units_paid,
                date_of_service=svc.date_of_service,
                line_control_number=svc.line_control_number[:50],
                remark_codes=list(svc.remark_codes),
                source_line=svc.line,
            )
            bundle.services.append(service)
            bundle.line_adjustments[number] = [_adjustment(cp, a, service) for a in svc.adjustments]
        bundle.claim_adjustments = [_adjustment(cp, a, None) for a in clp.adjustments]
        bundles.append(bundle)
    return bundles


def _adjustment(cp: ClaimPayment, a: remit835.Adjustment, service: ServicePayment | None) -> Adjustment:
    return Adjustment(
        claim_payment=cp,
        service=service,
        group=a.group,
        reason_code=a.reason[:5],
        amount_cents=a.amount_cents,
        quantity=a.quantity,
    )


def _save_bundles(bundles: Sequence[posting.Bundle]) -> None:
    """The decided rows in three statements (ids are given, so nothing is read back)."""
    ClaimPayment.objects.bulk_create([b.payment for b in bundles], batch_size=2000)
    ServicePayment.objects.bulk_create([s for b in bundles for s in b.services], batch_size=2000)
    Adjustment.objects.bulk_create([a for b in bundles for a in b.all_adjustments], batch_size=2000)


# ---- a person's decisions -----------------------------------------------------------------------


def _close(exceptions: Sequence[RemittanceException], status: str, resolution: str) -> None:
    ids = [e.pk for e in exceptions]
    if ids:
        RemittanceException.objects.filter(pk__in=ids, status=Status.OPEN).update(
            status=status,
            resolution=resolution[:300],
            resolved_by_id=current_actor.get().user_id,
            resolved_at=timezone.now(),
        )


def _repost(payment: ClaimPayment) -> posting.Bundle:
    """Decide and post a held payment again (after a match, or a duplicate cleared): its open
    matching and balance exceptions are closed, and new ones opened for what is still wrong."""
    bundle = posting.load_bundles([payment])[0]
    posting.decide([bundle])
    cp = bundle.payment
    ClaimPayment.objects.filter(pk=cp.pk).update(claim=cp.claim, matched_by=cp.matched_by, state=cp.state)
    for service in bundle.services:
        ServicePayment.objects.filter(pk=service.pk).update(
            claim_line=service.claim_line_id, matched_by=service.matched_by
        )
    open_ones = list(
        RemittanceException.objects.filter(claim_payment=cp, status=Status.OPEN).exclude(
            kind__in=[Kind.PROBABLE_DUPLICATE, Kind.VALIDATION, Kind.FILE_OUT_OF_BALANCE]
        )
    )
    if bundle.problems:
        _close(open_ones, Status.RESOLVED, "Superseded by a new check.")
        for problem in bundle.problems:
            problem.remittance_id = cp.remittance_id
            problem.file_id = cp.remittance.file_id
        RemittanceException.objects.bulk_create(bundle.problems)
    else:
        posting.post([bundle])
        _close(
            open_ones,
            Status.RESOLVED,
            f"Posted to claim {cp.claim.patient_control_number if cp.claim else ''}.",
        )
    return bundle


def match_to_claim(
    exception: RemittanceException, claim: Claim, lines: dict[uuid.UUID, ClaimLine] | None = None
) -> posting.Bundle:
    """A person says which claim a held payment is for (and, optionally, which line each paid
    line is: service payment id -> claim line); it is then posted like any other, or stays held
    with what is still wrong."""
    with transaction.atomic():
        if exception.claim_payment_id is None:
            raise RemittanceError("This exception is not about a claim payment.", "no_claim_payment")
        cp = ClaimPayment.objects.select_for_update().get(pk=exception.claim_payment_id)
        previous = cp.claim_id
        if cp.state == ClaimPayment.State.POSTED:
            raise RemittanceError("This payment is posted already.", "already_posted")
        if cp.remittance.is_held:
            raise RemittanceError("Decide first whether this payment is a duplicate.", "duplicate_undecided")
        cp.claim = claim
        cp.matched_by = ClaimPayment.MatchedBy.PERSON
        cp.save(update_fields=["claim", "matched_by"])
        for service_id, line in (lines or {}).items():
            if line.claim_id != claim.pk:
                raise RemittanceError(
                    f"Line {line.line_number} is not a line of claim {claim.patient_control_number}."
                )
            ServicePayment.objects.filter(pk=service_id, claim_payment=cp).update(
                claim_line=line, matched_by=ServicePayment.MatchedBy.PERSON
            )
        if claim.pk != previous or lines:
            ServicePayment.objects.filter(claim_payment=cp).exclude(pk__in=list(lines or {})).update(
                claim_line=None, matched_by=""
            )
        return _repost(cp)


def decide_duplicate(remittance: Remittance, *, is_duplicate: bool) -> None:
    """A person's word on a probable duplicate: a duplicate is never posted; a different payment
    is posted like any other."""
    with transaction.atomic():
        row = Remittance.objects.select_for_update().get(pk=remittance.pk)
        if row.duplicate_status != Remittance.Duplicate.SUSPECTED:
            raise RemittanceError("This payment is not waiting for a decision.", "not_suspected")
        flagged = list(
            RemittanceException.objects.filter(
                remittance=row, kind=Kind.PROBABLE_DUPLICATE, status=Status.OPEN
            )
        )
        if is_duplicate:
            row.duplicate_status = Remittance.Duplicate.CONFIRMED
            row.save(update_fields=["duplicate_status"])
            ClaimPayment.objects.filter(remittance=row).update(state=ClaimPayment.State.NOT_POSTED)
            _close(flagged, Status.RESOLVED, "A duplicate: not posted.")
            others = RemittanceException.objects.filter(remittance=row, status=Status.OPEN)
            _close(list(others), Status.DISMISSED, "Its payment is a duplicate.")
            return
        row.duplicate_status = Remittance.Duplicate.CLEARED
        row.save(update_fields=["duplicate_status"])
        _close(flagged, Status.RESOLVED, "Not a duplicate: posted.")
        held = list(ClaimPayment.objects.filter(remittance=row, state=ClaimPayment.State.HELD))
        bundles = posting.load_bundles(held)
        posting.decide(bundles)
        problems = []
        for bundle in bundles:
            cp = bundle.payment
            ClaimPayment.objects.filter(pk=cp.pk).update(
                claim=cp.claim, matched_by=cp.matched_by, state=cp.state
            )
            for service in bundle.services:
                if service.claim_line_id:
                    ServicePayment.objects.filter(pk=service.pk).update(
                        claim_line=service.claim_line_id, matched_by=service.matched_by
                    )
            for problem in bundle.problems:
                problem.remittance_id, problem.file_id = row.pk, row.file_id
                problems.append(problem)
        RemittanceException.objects.bulk_create(problems)
        posting.post(bundles)


def dismiss_exception(exception: RemittanceException, note: str) -> None:
    """Close an exception without posting (a person dealt with it elsewhere); the payment stays held."""
    if exception.kind == Kind.PROBABLE_DUPLICATE:
        raise RemittanceError("Decide whether the payment is a duplicate instead.", "decide_duplicate")
    if not note.strip():
        raise RemittanceError("Say why it is dismissed.", "note_required")
    _close([exception], Status.DISMISSED, note.strip())


# ---- paper EOBs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManualAdjustment:
    group: str
    reason_code: str
    amount_cents: int


@dataclass(frozen=True)
class ManualLine:
    """What the EOB says of one claim line."""

    claim_line: ClaimLine
    paid_cents: int
    adjustments: tuple[ManualAdjustment, ...] = ()


def post_manual_payment(
    claim: Claim,
    *,
    check_number: str,
    check_date: dt.date,
    lines: Sequence[ManualLine],
    status_code: str = "1",
    payment_method: str = Remittance.Method.CHECK,
) -> ClaimPayment:
    """Post a paper EOB (and its check) to one claim through the same engine as an 835: it must
    match and balance line by line, or nothing is posted (RemittanceError says what is wrong)."""
    if not check_number.strip():
        raise RemittanceError("Enter the check number.", "check_number_required")
    if not lines:
        raise RemittanceError("Enter what was paid on at least one line.", "no_lines")
    for line in lines:
        if line.claim_line.claim_id != claim.pk:
            raise RemittanceError(f"Line {line.claim_line.line_number} is not a line of this claim.")
        for adj in line.adjustments:
            if adj.group not in posting.ENTRY_KIND:
                raise RemittanceError(f"{adj.group!r} is not an adjustment group (CO, PI, PR, OA or CR).")
            if not adj.reason_code.strip():
                raise RemittanceError("Each adjustment needs its reason code (CARC).", "reason_required")
    paid = sum(line.paid_cents for line in lines)
    with transaction.atomic():
        remittance = Remittance.objects.create(
            is_manual=True,
            payer=claim.payer,
            payer_name=claim.payer.name[:120],
            payment_method=payment_method,
            credit_debit="C",
            total_paid_cents=paid,
            payment_date=check_date,
            trace_number=check_number.strip()[:50],
            created_by_id=current_actor.get().user_id,
        )
        earlier = (
            Remittance.objects.filter(trace_number=remittance.trace_number, is_manual=False)
            .filter(Q(payer=claim.payer) | Q(payer__isnull=True))
            .first()
        )
        cp = ClaimPayment(
            remittance=remittance,
            position=1,
            claim=claim,
            matched_by=ClaimPayment.MatchedBy.MANUAL,
            patient_control_number=claim.patient_control_number,
            status_code=status_code,
            charge_cents=sum(line.claim_line.charge_cents for line in lines),
            paid_cents=paid,
            payer_claim_control_number=claim.payer_claim_control_number,
        )
        bundle = posting.Bundle(payment=cp)
        for number, line in enumerate(lines, 1):
            service = ServicePayment(
                claim_payment=cp,
                position=number,
                claim_line=line.claim_line,
                matched_by=ServicePayment.MatchedBy.MANUAL,
                procedure_qualifier="HC",
                procedure_code=line.claim_line.procedure_code,
                modifiers=list(line.claim_line.modifiers),
                charge_cents=line.claim_line.charge_cents,
                paid_cents=line.paid_cents,
                date_of_service=line.claim_line.date_of_service,
                line_control_number=line.claim_line.line_control_number,
            )
            bundle.services.append(service)
            bundle.line_adjustments[number] = [
                Adjustment(
                    claim_payment=cp,
                    service=service,
                    group=a.group,
                    reason_code=a.reason_code.strip()[:5],
                    amount_cents=a.amount_cents,
                )
                for a in line.adjustments
            ]
        cp.patient_responsibility_cents = sum(
            a.amount_cents for a in bundle.all_adjustments if a.group == "PR"
        )
        cp.claim = Claim.objects.select_related("encounter").get(pk=claim.pk)
        posting.decide([bundle])
        if bundle.problems:
            raise RemittanceError(" ".join(p.message for p in bundle.problems), "manual_posting_refused")
        _save_bundles([bundle])
        if earlier is not None:
            # The same check arrived as an 835: held like any probable duplicate.
            remittance.duplicate_status = Remittance.Duplicate.SUSPECTED
            remittance.duplicate_of = earlier
            remittance.save(update_fields=["duplicate_status", "duplicate_of"])
            RemittanceException.objects.create(
                remittance=remittance,
                claim_payment=cp,
                kind=Kind.PROBABLE_DUPLICATE,
                message=f"Check {remittance.trace_number} was already received in an 835 "
                f"({earlier.file.file_name if earlier.file else 'by hand'}): post it only if it is a "
                "different payment.",
            )
            return cp
        posting.post([bundle])
    return cp
