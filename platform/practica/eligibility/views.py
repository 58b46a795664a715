"""The back office's eligibility pages: the desk's "Check eligibility" button on a visit, the list of
coverage problems before visits, and one check with the payer's 271 (an audited read). Thin: the
check is `batch.check_appointment`, as at booking and in the nightly batch; reads are selectors."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.audit.services import record_view, record_views
from practica.eligibility import selectors
from practica.eligibility.batch import CHECK_IN_TIMEOUT, check_appointment
from practica.eligibility.models import Trigger
from practica.scheduling.models import Appointment
from practica.scheduling.view_helpers import get_or_404

OUTCOMES = {
    "no_appointment": "Only booked visits are checked: this one is over or cancelled.",
    "no_coverage": "No insurance on file for this patient: nothing to check.",
    "not_configured": (
        "Eligibility checks are not set up: the practice needs a real-time clearinghouse and a "
        "billing profile."
    ),
}


def _back(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next", "")
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(candidate, {request.get_host()}):
        return candidate
    return default


@require_POST
@capability_required(Capability.BOOK_APPOINTMENTS)
def check_visit(request: HttpRequest, appointment_id: str) -> HttpResponse:
    """Asks the payer now, waiting at most CHECK_IN_TIMEOUT seconds (no retry): the answer, or why
    none came, is recorded and shown as the badge."""
    appointment = get_or_404(Appointment.objects.select_related("patient"), appointment_id)
    outcome = check_appointment(
        appointment.pk, now=timezone.now(), trigger=Trigger.CHECK_IN, timeout=CHECK_IN_TIMEOUT
    )
    if outcome in OUTCOMES:
        messages.error(request, OUTCOMES[outcome])
    else:
        check = selectors.latest_for_visit(appointment.pk)
        badge = selectors.badge(check, timezone.now())
        words = [f"{appointment.patient}: {badge.label.lower()}."]
        if check is not None and outcome != "active":
            words += [check.reason, check.next_step]
        (messages.success if outcome == "active" else messages.warning)(
            request, " ".join(w for w in words if w)
        )
    return redirect(_back(request, reverse("appointment_detail", args=[appointment.pk])))


@capability_required(Capability.BOOK_APPOINTMENTS)
def problems(request: HttpRequest) -> HttpResponse:
    """The coming week's visits whose insurance the payer says is inactive or does not know."""
    rows = list(selectors.coverage_problems(timezone.now()))
    record_views({row.patient_id: row.patient for row in rows}.values())
    return render(request, "eligibility/problems.html", {"rows": rows, "days": selectors.PROBLEMS_AHEAD.days})


@capability_required(Capability.VIEW_PATIENTS)
def check_detail(request: HttpRequest, check_id: str) -> HttpResponse:
    """One answer from the payer, with the 271 as it came (every view is in the audit trail)."""
    try:
        check = selectors.check_for_view(check_id)
    except (ValueError, ValidationError):
        check = None
    if check is None:
        raise Http404
    record_view(check.coverage.patient)
    context = {
        "check": check,
        "patient": check.coverage.patient,
        "badge": selectors.badge(check, timezone.now()),
        "raw_271": selectors.raw_271(check),
    }
    return render(request, "eligibility/check.html", context)
