"""A claim's life, in one table. Every move goes through transition_claim (or transition_claims
for many at once), which refuses moves the table does not allow, and records each one twice: a
ClaimTransition row (from, to, who, why) and an audit event (changed field "status").

What has been paid is not a status: it is derived from the postings of remittances."""

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from practica.audit.context import current_actor
from practica.claims.errors import ClaimBlocked, InvalidClaimTransition
from practica.claims.models import Claim, ClaimStatus, ClaimTransition, FrequencyCode, ScrubFinding, Severity

S = ClaimStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    # Made ready once scrubbed with no errors; back to draft to be edited; voided if never to be sent.
    S.DRAFT: frozenset({S.READY, S.VOIDED}),
    S.READY: frozenset({S.DRAFT, S.SUBMITTED, S.VOIDED}),
    # A 999 rejecting the transaction set, or a 277CA, rejects; a 277CA accepts. A payer may send
    # its remittance without any 277CA first.
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, S.ADJUDICATED}),
    # The payer's own 277CA may still reject after the clearinghouse accepted.
    S.ACCEPTED: frozenset({S.REJECTED, S.ADJUDICATED, S.REPLACED, S.VOIDED}),
    # A rejected claim never reached adjudication: fix it and send it again as an original.
    S.REJECTED: frozenset({S.DRAFT, S.VOIDED}),
    S.ADJUDICATED: frozenset({S.CLOSED, S.REPLACED, S.VOIDED}),
    # A payer's reversal reopens a closed claim.
    S.CLOSED: frozenset({S.ADJUDICATED, S.REPLACED, S.VOIDED}),
    S.VOIDED: frozenset(),
    S.REPLACED: frozenset(),
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def _check(claim: Claim, to_status: str) -> None:
    if to_status not in S.values:
        raise InvalidClaimTransition(f"Unknown claim status {to_status!r}.")
    if not can_transition(claim.status, to_status):
        raise InvalidClaimTransition(
            f"Claim {claim.patient_control_number} is {S(claim.status).label.lower()}; "
            f"it cannot become {S(to_status).label.lower()}."
        )


def _check_ready(claims: Sequence[Claim]) -> None:
    never = [claim.patient_control_number for claim in claims if claim.scrubbed_at is None]
    if never:
        raise ClaimBlocked(f"Scrub these claims before making them ready: {', '.join(never[:10])}.")
    blocked = set(
        ScrubFinding.objects.filter(claim__in=claims, severity=Severity.ERROR).values_list(
            "claim__patient_control_number", flat=True
        )
    )
    if blocked:
        raise ClaimBlocked(f"These claims have errors to fix first: {', '.join(sorted(blocked)[:10])}.")


def transition_claim(claim: Claim, to_status: str, *, reason: str = "") -> Claim:
    """Move one claim; raises InvalidClaimTransition (or ClaimBlocked for ready with errors)."""
    return transition_claims([claim], to_status, reason=reason)[0]


def transition_claims(claims: Iterable[Claim], to_status: str, *, reason: str = "") -> list[Claim]:
    """Move many claims to one status in a fixed number of queries, all or none: the rows are
    locked (in id order, so two callers cannot deadlock) and re-read, so a move decided on a stale
    copy is refused rather than applied over a change made meanwhile."""
    ids = sorted(claim.pk for claim in claims)
    if not ids:
        return []
    with transaction.atomic():
        locked = list(Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        for claim in locked:
            _check(claim, to_status)
        if to_status == S.READY:
            _check_ready(locked)
        now = timezone.now()
        changes: dict[str, object] = {"status": to_status, "updated_at": now}
        if to_status == S.SUBMITTED:
            changes["submitted_at"] = now
        Claim.objects.filter(pk__in=ids).update(**changes)
        actor = current_actor.get()
        ClaimTransition.objects.bulk_create(
            ClaimTransition(
                claim=claim,
                from_status=claim.status,
                to_status=to_status,
                reason=reason[:300],
                actor_id=actor.user_id,
                actor_email=actor.email,
            )
            for claim in locked
        )
        for claim in locked:
            for name, value in changes.items():
                setattr(claim, name, value)
        if to_status == S.SUBMITTED:
            _retire_originals(locked, reason)
    return locked


def _retire_originals(submitted: list[Claim], reason: str) -> None:
    """A replacement (frequency 7) or void (frequency 8) on its way to the payer retires the claim it
    replaces or voids."""
    for frequency, retired in ((FrequencyCode.REPLACEMENT, S.REPLACED), (FrequencyCode.VOID, S.VOIDED)):
        original_ids = [c.replaces_id for c in submitted if c.frequency_code == frequency and c.replaces_id]
        if original_ids:
            live = list(Claim.objects.filter(pk__in=original_ids).exclude(status=retired))
            if live:
                transition_claims(live, retired, reason=reason or "Sent to the payer as corrected.")
