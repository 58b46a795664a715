"""Sending claims: the practice's ready claims, one 837P file per payer (a submission batch), through
its clearinghouse adapter. Called by `manage.py submit_claims` (and by the billing pages later).

The ready claims are scrubbed again first (the rules, the payer's or the practice's data may have
changed since they were made ready): a claim the scrub now finds an error in goes back to draft,
with the reason, and is not sent.

Each batch is one transaction: its claims are taken with `FOR UPDATE SKIP LOCKED` (so two
submissions running at once split the claims between them instead of sending one claim twice),
its envelope numbers come from the practice's sequences (never reused, even when the batch rolls
back), the batch and its claims are recorded, the claims move to submitted through the lifecycle
(audited), and the file is handed to the adapter last: if the adapter fails, nothing is recorded
and the claims stay ready. A batch whose data X12 cannot carry is refused whole, naming the claim;
the other payers' batches still go.
"""

import contextlib
import datetime
import hashlib
import re
from dataclasses import dataclass, field

from django.db import transaction

from practica.audit.context import current_actor
from practica.claims import lifecycle, numbers
from practica.claims.clearinghouse import BatchFile, Clearinghouse, for_practice
from practica.claims.errors import ClaimsError, InvalidClaimTransition
from practica.claims.models import BatchClaim, BillingProfile, Claim, ClaimStatus, SubmissionBatch
from practica.claims.scrubber import scrub_claims
from practica.claims.x12_mapping import build_interchange, claims_to_send
from practica.core.times import in_zone
from practica.insurance.models import Payer
from practica.x12.errors import X12WriteError
from practica.x12.write837 import MAX_CLAIMS_PER_TRANSACTION, write_837p


@dataclass
class Submission:
    """What one submission did: the batches sent, per payer what could not be sent, and the claims
    held back by the scrub (patient control number: first error)."""

    batches: list[SubmissionBatch] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)


def billing_profile() -> BillingProfile:
    profile = BillingProfile.objects.first()
    if profile is None:
        raise ClaimsError(
            "Set up the practice's billing profile before sending claims.", "no_billing_profile"
        )
    return profile


def batch_file_name(batch_numbers: numbers.EnvelopeNumbers, payer_id: str) -> str:
    """'837P-000000042-87726.x12': unique in the practice (the ISA13), the payer for people."""
    safe = re.sub(r"[^A-Za-z0-9]", "", payer_id)[:20] or "payer"
    return f"837P-{batch_numbers.isa:09d}-{safe}.x12"


def submit_ready_claims(
    *,
    now: datetime.datetime,
    zone: object,
    clearinghouse: Clearinghouse | None = None,
    limit: int = MAX_CLAIMS_PER_TRANSACTION,
) -> Submission:
    """Send every ready claim, one batch per payer (several when a payer has more than `limit`).
    `zone` is the practice's (the file's dates and times are its local ones)."""
    profile = billing_profile()
    adapter = clearinghouse or for_practice(profile)
    result = Submission()
    result.held = _scrub_ready(now=now, zone=zone)
    payer_ids = list(
        Claim.objects.filter(status=ClaimStatus.READY)
        .order_by()
        .values_list("payer_id", flat=True)
        .distinct()
    )
    payers = Payer.objects.in_bulk(payer_ids)
    for payer in sorted(payers.values(), key=lambda p: p.name):
        while True:
            try:
                batch = _send_batch(profile, payer, adapter, now=now, zone=zone, limit=limit)
            except (ClaimsError, X12WriteError) as exc:
                result.failures.append(f"{payer.name}: {exc}")
                break
            if batch is None:
                break
            result.batches.append(batch)
    return result


def _scrub_ready(*, now: datetime.datetime, zone: object) -> list[str]:
    """Scrub every ready claim (in a fixed number of queries); those with errors go back to draft."""
    ready = list(Claim.objects.filter(status=ClaimStatus.READY).only("pk"))
    if not ready:
        return []
    results = scrub_claims(ready, today=in_zone(now, zone).date(), now=now)
    blocked = [r for r in results if not r.is_clean]
    if not blocked:
        return []
    # A submission running beside this one may move them first: then the lifecycle refuses, and
    # their error_count keeps them unsent all the same.
    with contextlib.suppress(InvalidClaimTransition):
        lifecycle.transition_claims(
            Claim.objects.filter(pk__in=[r.claim.pk for r in blocked], status=ClaimStatus.READY),
            ClaimStatus.DRAFT,
            reason="Held back at submission: the scrub found errors.",
        )
    return [
        f"{r.claim.patient_control_number}: {r.errors[0].message}"
        for r in sorted(blocked, key=lambda r: r.claim.patient_control_number)
    ]


def _send_batch(
    profile: BillingProfile,
    payer: Payer,
    adapter: Clearinghouse,
    *,
    now: datetime.datetime,
    zone: object,
    limit: int,
) -> SubmissionBatch | None:
    with transaction.atomic():
        ids = list(
            Claim.objects.select_for_update(skip_locked=True)
            .filter(status=ClaimStatus.READY, payer=payer, error_count=0)
            .order_by("patient_control_number")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return None
        claims = claims_to_send(Claim.objects.filter(pk__in=ids))
        envelope = numbers.allocate_envelope_numbers()
        name = batch_file_name(envelope, payer.payer_id_for(profile.clearinghouse))
        created = in_zone(now, zone).replace(tzinfo=None, second=0, microsecond=0)
        text = write_837p(build_interchange(profile, claims, envelope, created, reference=f"B{envelope.isa}"))
        batch = SubmissionBatch.objects.create(
            payer=payer,
            file_name=name,
            isa_control_number=envelope.isa,
            gs_control_number=envelope.gs,
            st_control_number=envelope.st,
            usage_indicator=profile.usage_indicator,
            claim_count=len(claims),
            total_charge_cents=sum(claim.total_charge_cents for claim in claims),
            content=text,
            content_sha256=hashlib.sha256(text.encode()).hexdigest(),
            created_by_id=current_actor.get().user_id,
        )
        BatchClaim.objects.bulk_create(BatchClaim(batch=batch, claim_id=claim.pk) for claim in claims)
        lifecycle.transition_claims(
            [Claim(pk=claim.pk) for claim in claims], ClaimStatus.SUBMITTED, reason=f"Sent in {name}."
        )
        # Last: a file that went out belongs to a batch that is recorded (the commit after it is
        # all that can still fail, and then the claims stay ready to be sent again).
        batch.sent_to = adapter.send(BatchFile(name=name, content=text))
        batch.status = SubmissionBatch.Status.SENT
        batch.sent_at = now
        batch.save(update_fields=["sent_to", "status", "sent_at"])
    return batch
