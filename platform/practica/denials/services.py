"""Writes of the denials work queue. `open_denial_items` is called by the remittance posting with
plain values; the actions are the biller's: correct and
resubmit (a frequency-7 replacement claim), appeal (a letter from the practice's template), write
off (owners and managers), or move the amount to the patient's ledger (the last two close the
denial on the insurance ledger through practica.remittance.ledger). Every write is audited by the
database's triggers with the actor of the request or task."""

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from practica.audit.context import current_actor
from practica.claims.errors import ClaimsError
from practica.claims.models import Claim, FrequencyCode
from practica.claims.services import create_corrected_claim
from practica.codesets.models import AdjustmentCategory, RemittanceCode
from practica.codesets.selectors import remittance_codes
from practica.denials.errors import DenialError
from practica.denials.models import AppealLetter, AppealTemplate, DenialItem
from practica.insurance.models import Payer
from practica.patient_billing.ledger import post_entries
from practica.patient_billing.models import LedgerEntry
from practica.remittance.ledger import close_denied
from practica.remittance.models import InsuranceLedgerEntry

S = DenialItem.Status


@dataclass(frozen=True)
class AdjustmentValue:
    group: str
    reason: str
    amount_cents: int


@dataclass(frozen=True)
class AdjudicatedLine:
    """One line (or a claim paid without lines: `claim_line_id` None) as the payer decided it.
    `source_key` names the remittance row behind it (its work item's key)."""

    source_key: str
    claim_line_id: int | None
    charge_cents: int
    paid_cents: int
    adjustments: Sequence[AdjustmentValue] = ()
    remark_codes: Sequence[str] = ()


@dataclass(frozen=True)
class ClaimOutcome:
    """A payer's decision on one claim, as the remittance posting hands it over."""

    claim_id: uuid.UUID
    patient_id: uuid.UUID
    payer_id: uuid.UUID
    denied_on: datetime.date
    lines: Sequence[AdjudicatedLine] = ()


def needs_work(group: str, reason: str, codes: dict[tuple[str, str], RemittanceCode]) -> bool:
    """An adjustment someone must work: not the patient's share, and not contractual by its code
    (an unknown code under CO/OA/PI is worked: nobody knows it is routine). The remittance posting
    asks the same to post such an adjustment as a denial that leaves the line open."""
    if group == "PR":
        return False
    code = codes.get(("carc", reason))
    return code is None or code.needs_work


def _worked(adjustment: AdjustmentValue, codes: dict[tuple[str, str], RemittanceCode]) -> bool:
    return adjustment.amount_cents > 0 and needs_work(adjustment.group, adjustment.reason, codes)


def _category(
    adjustments: Sequence[AdjustmentValue],
    remarks: Sequence[str],
    codes: dict[tuple[str, str], RemittanceCode],
) -> str:
    """The category of the largest adjustment's code, else of the first remark code that says
    something to work on, else other."""
    if adjustments:
        top = max(adjustments, key=lambda a: a.amount_cents)
        found = codes.get(("carc", top.reason))
        if found and found.needs_work:
            return found.category
    for remark in remarks:
        found = codes.get(("rarc", remark))
        if found and found.needs_work:
            return found.category
    return AdjustmentCategory.OTHER.value


def codes_of(outcomes: Sequence[ClaimOutcome]) -> dict[tuple[str, str], RemittanceCode]:
    """The meanings of every reason and remark code of these outcomes, in one query."""
    lines = [line for outcome in outcomes for line in outcome.lines]
    return remittance_codes(
        {a.reason for line in lines for a in line.adjustments},
        {r for line in lines for r in line.remark_codes},
    )


def open_denial_items(
    outcomes: Sequence[ClaimOutcome], codes: dict[tuple[str, str], RemittanceCode] | None = None
) -> int:
    """A work item per line denied, paid nothing while charged, or adjusted for a reason that is
    not an ordinary outcome, with its codes, category and amount, due the payer's appeal window
    after `denied_on`. Idempotent by the lines' source keys; three queries (payers, code meanings
    unless the caller read them with `codes_of`, the insert) whatever the number of claims.
    Returns how many items it tried to open."""
    lines = [line for outcome in outcomes for line in outcome.lines]
    if not lines:
        return 0
    payers = Payer.objects.in_bulk({outcome.payer_id for outcome in outcomes})
    if codes is None:
        codes = codes_of(outcomes)
    items = []
    for outcome in outcomes:
        payer = payers[outcome.payer_id]
        due = outcome.denied_on + datetime.timedelta(days=payer.appeal_window_days)
        for line in outcome.lines:
            worked = [a for a in line.adjustments if _worked(a, codes)]
            zero_paid = line.paid_cents == 0 and line.charge_cents > 0
            if not worked and not zero_paid:
                continue
            items.append(
                DenialItem(
                    claim_id=outcome.claim_id,
                    claim_line_id=line.claim_line_id,
                    payer=payer,
                    patient_id=outcome.patient_id,
                    source_key=line.source_key[:120],
                    reason_codes=[f"{a.group}-{a.reason}" for a in line.adjustments],
                    remark_codes=list(line.remark_codes),
                    category=_category(worked or list(line.adjustments), line.remark_codes, codes),
                    amount_cents=sum(a.amount_cents for a in worked) if worked else line.charge_cents,
                    denied_on=outcome.denied_on,
                    due_on=due,
                )
            )
    if items:
        DenialItem.objects.bulk_create(items, ignore_conflicts=True)
    return len(items)


def _locked_open(item: DenialItem) -> DenialItem:
    locked = DenialItem.objects.select_for_update().select_related("claim").get(pk=item.pk)
    if locked.status != S.OPEN:
        raise DenialError(f"This item is already {locked.get_status_display().lower()}.", "not_open")
    return locked


def _close(item: DenialItem, status: str, resolution: str) -> None:
    item.status = status
    item.resolution = resolution[:300]
    item.resolved_by_id = current_actor.get().user_id
    item.resolved_at = timezone.now()
    item.save(update_fields=["status", "resolution", "resolved_by_id", "resolved_at", "corrected_claim"])


def update_item(item: DenialItem, *, owner_id: int | None, notes: str) -> DenialItem:
    with transaction.atomic():
        locked = DenialItem.objects.select_for_update().get(pk=item.pk)
        locked.owner_id, locked.notes = owner_id, notes.strip()
        locked.save(update_fields=["owner_id", "notes"])
    return locked


def resubmit_corrected(item: DenialItem, *, today: datetime.date | None = None) -> Claim:
    """A frequency-7 replacement of the item's claim (a draft through the claims services, to be
    corrected on the coding screen and sent with the next batch)."""
    with transaction.atomic():
        locked = _locked_open(item)
        try:
            corrected = create_corrected_claim(locked.claim, FrequencyCode.REPLACEMENT, today=today)
        except ClaimsError as exc:
            raise DenialError(exc.message, exc.code) from exc
        locked.corrected_claim = corrected
        _close(locked, S.RESUBMITTED, f"Replacement claim {corrected.patient_control_number}")
    return corrected


def _close_on_insurance_ledger(item: DenialItem, kind: str) -> None:
    """What the denial left open on its line is closed on the insurance ledger, once."""
    close_denied(
        claim_id=item.claim_id,
        claim_line_id=item.claim_line_id,
        kind=kind,
        amount_cents=item.amount_cents,
        source_key=f"denial:{item.pk}:{kind}",
    )


def write_off(item: DenialItem, reason: str) -> DenialItem:
    """Give up on the amount, with the reason why (the caller checks the write-off capability):
    a write-off entry on the insurance ledger closes what the denial left open on the line."""
    if not reason.strip():
        raise DenialError("Say why the amount is written off.", "reason_required")
    with transaction.atomic():
        locked = _locked_open(item)
        _close_on_insurance_ledger(locked, InsuranceLedgerEntry.Kind.WRITTEN_OFF)
        _close(locked, S.WRITTEN_OFF, reason.strip())
    return locked


def transfer_to_patient(item: DenialItem) -> DenialItem:
    """The amount becomes the patient's: a charge on their ledger (so the portal balance,
    pay-by-link and statements see it), once, whatever the retries."""
    with transaction.atomic():
        locked = _locked_open(item)
        claim = locked.claim
        post_entries(
            [
                LedgerEntry(
                    patient_id=locked.patient_id,
                    kind=LedgerEntry.Kind.CHARGE,
                    amount_cents=locked.amount_cents,
                    memo=f"Not paid by insurance, claim {claim.patient_control_number}",
                    location_id=claim.encounter.location_id,
                    source_key=f"denial:{locked.pk}",
                    posted_at=timezone.now(),
                )
            ]
        )
        _close_on_insurance_ledger(locked, InsuranceLedgerEntry.Kind.TRANSFERRED)
        _close(locked, S.TRANSFERRED, "Moved to the patient's balance")
    return locked


def generate_appeal_letter(
    item: DenialItem, *, practice_name: str, today: str, meanings: str
) -> AppealLetter:
    """The appeal letter from the practice's template, kept as the practice's file beside the item
    (its creation is audited by the database's triggers with who generated it)."""
    from practica.denials.letters import appeal_pdf

    pdf = appeal_pdf(item, practice_name=practice_name, today=today, meanings=meanings)
    with transaction.atomic():
        letter = AppealLetter(item=item, generated_by_id=current_actor.get().user_id)
        letter.pdf.save(f"{letter.pk}.pdf", ContentFile(pdf), save=False)
        letter.save()
    return letter


def mark_appealed(item: DenialItem) -> DenialItem:
    with transaction.atomic():
        locked = _locked_open(item)
        _close(locked, S.APPEALED, "Appeal letter sent")
    return locked


def save_appeal_template(body: str) -> AppealTemplate:
    """The practice's appeal letter; its {placeholders} are checked by filling in sample values."""
    from practica.denials.letters import check_template

    check_template(body)
    with transaction.atomic():
        template, _ = AppealTemplate.objects.update_or_create(singleton=True, defaults={"body": body.strip()})
    return template
