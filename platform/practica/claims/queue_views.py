"""The biller's queues: charges to review, claims by status and payer (with their findings counts),
a claim's page, the ready claims per payer (the next batches) and the submission history with
acknowledgements. Every row links to its patient and its visit. Each list reads a fixed number of
queries whatever its length."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.audit.services import record_views
from practica.claims import selectors
from practica.claims.errors import ClaimsError
from practica.claims.lifecycle import TRANSITIONS, transition_claim
from practica.claims.models import Claim, ClaimStatus, SubmissionBatch
from practica.claims.secondary import next_payer_offer
from practica.claims.services import practice_today
from practica.claims.submission import submit_ready_claims
from practica.insurance.models import Payer
from practica.remittance.next_payer import forward_to_next_payer
from practica.remittance.selectors import insurance_balances
from practica.scheduling.view_helpers import can, get_or_404

PAGE_SIZE = 50

# What a biller may do to a claim from its page (the rest comes from 837P and acknowledgements).
CLAIM_ACTIONS = {
    ClaimStatus.READY: "Make ready to submit",
    ClaimStatus.DRAFT: "Back to draft",
    ClaimStatus.VOIDED: "Void (never send)",
}


def _page_of(request: HttpRequest, rows: object) -> object:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]


@capability_required(Capability.CODE_CHARGES)
def charges_to_review(request: HttpRequest) -> HttpResponse:
    page = _page_of(request, selectors.charges_to_review())
    encounters = list(page.object_list)  # type: ignore[attr-defined]
    record_views({e.patient_id: e.patient for e in encounters}.values())
    context = {"page": page, "encounters": encounters, "can_submit": can(request, Capability.SUBMIT_CLAIMS)}
    return render(request, "claims/charges.html", context)


@capability_required(Capability.SUBMIT_CLAIMS)
def claim_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in ClaimStatus.values else ""
    payers = list(Payer.objects.order_by("name"))
    payer = next((p for p in payers if str(p.pk) == request.GET.get("payer", "")), None)
    page = _page_of(request, selectors.claims_queue(status, payer.pk if payer else None))
    claims = list(page.object_list)  # type: ignore[attr-defined]
    record_views({c.patient_id: c.patient for c in claims}.values())
    context = {
        "page": page,
        "claims": claims,
        "status": status,
        "payer": payer,
        "payers": payers,
        "counts": [
            (value, label, n)
            for (value, label), n in zip(
                ClaimStatus.choices,
                selectors.status_counts(payer.pk if payer else None).values(),
                strict=True,
            )
        ],
        "query": f"&payer={payer.pk}" if payer else "",
        "page_query": (f"&status={status}" if status else "") + (f"&payer={payer.pk}" if payer else ""),
    }
    return render(request, "claims/claim_list.html", context)


@capability_required(Capability.SUBMIT_CLAIMS)
def claim_detail(request: HttpRequest, claim_id: str) -> HttpResponse:
    claim = get_or_404(selectors.claims_in_detail(), claim_id)
    record_views([claim.patient])
    allowed = TRANSITIONS.get(claim.status, frozenset())
    context = {
        "claim": claim,
        "encounter": claim.encounter,
        "findings": selectors.claim_findings(claim),
        "actions": [(status, label) for status, label in CLAIM_ACTIONS.items() if status in allowed],
        "balances": insurance_balances(claim),
        "next_coverage": next_payer_offer(claim),
        "next_claims": list(claim.next_payer_claims.select_related("payer").order_by("created_at")),
    }
    return render(request, "claims/claim.html", context)


@require_POST
@capability_required(Capability.SUBMIT_CLAIMS)
def claim_to_next_payer(request: HttpRequest, claim_id: str) -> HttpResponse:
    """Send an adjudicated claim on to the patient's next coverage with its posted remittance (a
    draft claim, scrubbed, that goes with the next batch), or say why it cannot go."""
    claim = get_or_404(Claim.objects.select_related("coverage", "encounter__location"), claim_id)
    try:
        forwarded = forward_to_next_payer(claim, today=practice_today(claim.encounter))
    except ClaimsError as refused:
        messages.error(request, refused.message)
        return redirect("claims:claim", claim_id=claim.pk)
    messages.success(
        request,
        f"Claim {forwarded.patient_control_number} to {forwarded.payer.name} made with the primary's "
        "payment and adjustments: check it and make it ready to submit.",
    )
    return redirect("claims:claim", claim_id=forwarded.pk)


@require_POST
@capability_required(Capability.SUBMIT_CLAIMS)
def claim_transition(request: HttpRequest, claim_id: str) -> HttpResponse:
    claim = get_or_404(Claim.objects.all(), claim_id)
    to_status = request.POST.get("to", "")
    if to_status not in CLAIM_ACTIONS:
        messages.error(request, "That change is not made from this page.")
        return redirect("claims:claim", claim_id=claim.pk)
    try:
        transition_claim(claim, to_status, reason=request.POST.get("reason", "")[:300])
    except ClaimsError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, f"Claim {claim.patient_control_number}: {ClaimStatus(to_status).label.lower()}."
        )
    return redirect("claims:claim", claim_id=claim.pk)


@capability_required(Capability.SUBMIT_CLAIMS)
def ready_batches(request: HttpRequest) -> HttpResponse:
    batches = selectors.ready_batches()
    record_views({c.patient_id: c.patient for b in batches for c in b.claims}.values())
    return render(request, "claims/ready.html", {"batches": batches})


@capability_required(Capability.SUBMIT_CLAIMS)
def submission_history(request: HttpRequest) -> HttpResponse:
    page = _page_of(request, selectors.submission_history())
    return render(request, "claims/submissions.html", {"page": page, "batches": list(page.object_list)})  # type: ignore[attr-defined]


@capability_required(Capability.SUBMIT_CLAIMS)
def batch_detail(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = get_or_404(
        SubmissionBatch.objects.select_related("payer").prefetch_related("acknowledgements"), batch_id
    )
    claims = selectors.batch_claims(batch)
    record_views({c.patient_id: c.patient for c in claims}.values())
    return render(request, "claims/batch.html", {"batch": batch, "claims": claims})


@require_POST
@capability_required(Capability.SUBMIT_CLAIMS)
def send_ready(request: HttpRequest) -> HttpResponse:
    """Send every ready claim now, one 837P file per payer, through the practice's clearinghouse
    adapter (the same service as `manage.py submit_claims`: scrubbed again first, each batch its
    own transaction, a claim sent once even when two people press the button together)."""
    try:
        result = submit_ready_claims(now=timezone.now(), zone=request.practice)  # type: ignore[attr-defined]
    except ClaimsError as exc:
        messages.error(request, exc.message)
        return redirect("claims:ready")
    for batch in result.batches:
        messages.success(
            request,
            f"Sent {batch.claim_count} claim{'s' if batch.claim_count != 1 else ''} to {batch.payer.name} "
            f"({batch.file_name}).",
        )
    if result.held:
        messages.warning(
            request,
            f"{len(result.held)} claim{'s' if len(result.held) != 1 else ''} went back to draft: "
            "the scrub found errors since they were made ready. " + "; ".join(result.held[:5]),
        )
    for failure in result.failures:
        messages.error(request, f"Not sent, the claims stay ready: {failure}")
    if not (result.batches or result.held or result.failures):
        messages.info(request, "No claim was ready to send.")
    return redirect("claims:submissions" if result.batches else "claims:ready")
