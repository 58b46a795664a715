"""Entries of the insurance ledger that a person's decision makes, not a payer's: a denial written
off by the practice or moved to the patient closes what the denial left open on its line."""

import uuid

from django.db.models import Q, Sum
from django.utils import timezone

from practica.audit.context import current_actor
from practica.claims.models import Claim, ClaimLine
from practica.remittance.models import InsuranceLedgerEntry

Kind = InsuranceLedgerEntry.Kind
RESOLUTIONS = (Kind.WRITTEN_OFF, Kind.TRANSFERRED)


def close_denied(
    *, claim_id: uuid.UUID, claim_line_id: int | None, kind: str, amount_cents: int, source_key: str
) -> InsuranceLedgerEntry | None:
    """Close up to `amount_cents` of what denials left open on the line (or on the claim, for
    claim-level denials) with an entry of `kind` (written off or moved to the patient), tied to
    the payment that denied it. Never more than is open: nothing when nothing is (a zero-paid line
    the payer closed with ordinary adjustments). Once per `source_key`, whatever the retries; the
    line's row is locked meanwhile, so two decisions on one line cannot both close the same cents.
    The caller runs it in its transaction."""
    if kind not in RESOLUTIONS:
        raise ValueError(f"{kind!r} is not a decision on a denial")
    existing = InsuranceLedgerEntry.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    if claim_line_id is not None:
        ClaimLine.objects.select_for_update().filter(pk=claim_line_id).first()
    else:
        Claim.objects.select_for_update().filter(pk=claim_id).first()
    on_line = InsuranceLedgerEntry.objects.filter(claim_id=claim_id, claim_line_id=claim_line_id)
    sums = on_line.aggregate(
        denied=Sum("amount_cents", filter=Q(kind=Kind.DENIED), default=0),
        resolved=Sum("amount_cents", filter=Q(kind__in=RESOLUTIONS), default=0),
    )
    amount = min(amount_cents, sums["denied"] - sums["resolved"])
    if amount <= 0:
        return None
    denial = on_line.filter(kind=Kind.DENIED, amount_cents__gt=0).order_by("-posted_at", "-id").first()
    assert denial is not None  # something denied is open, so a denial entry exists
    entry = InsuranceLedgerEntry(
        claim_id=claim_id,
        claim_line_id=claim_line_id,
        claim_payment_id=denial.claim_payment_id,
        payer_id=denial.payer_id,
        kind=kind,
        amount_cents=amount,
        source_key=source_key[:120],
        created_by_id=current_actor.get().user_id,
        posted_at=timezone.now(),
    )
    entry.save()
    return entry
