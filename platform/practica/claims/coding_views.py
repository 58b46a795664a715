"""The coding screen: a visit's diagnoses (searched in the ICD-10-CM table, billable codes only),
its charge lines (procedure from the practice's list, modifiers, units, diagnosis pointers), and
the scrub findings of its claim beside the fields they are about. CODE_CHARGES to code; making
the visit's claim needs SUBMIT_CLAIMS. Every change goes through practica.claims.coding."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.audit.services import record_views
from practica.claims import coding
from practica.claims.errors import ClaimsError
from practica.claims.forms import ChargeLineForm, DiagnosisSearchForm, line_initial
from practica.claims.models import ChargeLine, Encounter, ProcedureCode
from practica.claims.selectors import (
    EDITABLE,
    diagnosis_descriptions,
    encounters_for_coding,
    findings_beside,
    working_claim,
)
from practica.codesets.selectors import search_diagnoses
from practica.scheduling.view_helpers import can, get_or_404

SEARCH_LIMIT = 20


def _procedures() -> Any:
    return ProcedureCode.objects.filter(is_active=True).order_by("code")


def _line_form(line: ChargeLine | None, diagnosis_count: int, data: Any = None) -> ChargeLineForm:
    procedures = _procedures()
    if line is not None and not line.procedure.is_active:
        # A line keeps a procedure taken off the list since it was coded.
        procedures = ProcedureCode.objects.filter(is_active=True) | ProcedureCode.objects.filter(
            pk=line.procedure_id
        )
    return ChargeLineForm(
        data,
        procedures=procedures,
        diagnosis_count=diagnosis_count,
        prefix=f"line{line.pk}" if line else "new",
        initial=line_initial(line) if line else None,
    )


def _page(
    request: HttpRequest,
    encounter: Encounter,
    *,
    error: str = "",
    error_at: str = "",
    bound: ChargeLineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    diagnoses = list(encounter.diagnoses.all())
    lines = list(encounter.charge_lines.all())
    claim = working_claim(encounter)
    findings = findings_beside(claim)
    descriptions = diagnosis_descriptions(d.code for d in diagnoses)
    search = DiagnosisSearchForm(request.GET or None)
    results = []
    if search.is_valid() and search.cleaned_data["q"]:
        results = list(search_diagnoses(search.cleaned_data["q"], limit=SEARCH_LIMIT))
    coded = {d.code for d in diagnoses}
    line_rows = []
    for line in lines:
        form = bound if bound is not None and error_at == f"line{line.pk}" else None
        line_rows.append(
            (line, form or _line_form(line, len(diagnoses)), findings.by_charge_line.get(line.pk, []))
        )
    new_form = bound if bound is not None and error_at == "new" else _line_form(None, len(diagnoses))
    locked_by = coding.coding_locked_by(encounter)
    context = {
        "encounter": encounter,
        "appointment": encounter.appointment,
        "diagnoses": [(d, descriptions.get(d.code, "")) for d in diagnoses],
        "line_rows": line_rows,
        "new_form": new_form,
        "search": search,
        "results": [r for r in results if r.code not in coded],
        "claim": claim,
        "claims": list(encounter.claims.all()),
        "findings": findings,
        "locked_by": locked_by,
        "editable": encounter.status != Encounter.Status.VOID and locked_by is None,
        "can_finish": encounter.status == Encounter.Status.OPEN,
        "can_start_claim": can(request, Capability.SUBMIT_CLAIMS)
        and encounter.status != Encounter.Status.VOID
        and locked_by is None
        and (claim is None or claim.status not in EDITABLE),
        "error": error,
        "error_at": error_at,
        "max_diagnoses": 12,
    }
    record_views([encounter.patient])
    return render(request, "claims/coding.html", context, status=status)


def _moved(codes: list[str], code: str, action: str) -> list[str]:
    if code not in codes:
        return codes
    if action == "remove_diagnosis":
        return [c for c in codes if c != code]
    index = codes.index(code)
    if index > 0:
        codes[index - 1], codes[index] = codes[index], codes[index - 1]
    return codes


@capability_required(Capability.CODE_CHARGES)
def encounter_coding(request: HttpRequest, encounter_id: str) -> HttpResponse:
    encounter = get_or_404(encounters_for_coding(), encounter_id)
    if request.method != "POST":
        return _page(request, encounter)
    action = request.POST.get("action", "")
    diagnoses = [d.code for d in encounter.diagnoses.all()]
    bound: ChargeLineForm | None = None
    error_at = "diagnoses"
    try:
        if action == "add_diagnosis":
            code = request.POST.get("code", "").strip().upper()
            if not code:
                raise ClaimsError("Enter or choose a diagnosis code.")
            coding.code_diagnoses(encounter, [*diagnoses, code])
            messages.success(request, f"Diagnosis {code} added.")
        elif action in ("remove_diagnosis", "move_diagnosis"):
            coding.code_diagnoses(encounter, _moved(diagnoses, request.POST.get("code", ""), action))
            messages.success(request, "Diagnoses saved.")
        elif action == "save_line":
            line_id = request.POST.get("line", "new")
            line = None if line_id == "new" else get_or_404(encounter.charge_lines.all(), line_id)
            error_at = f"line{line.pk}" if line else "new"
            bound = _line_form(line, len(diagnoses), request.POST)
            if not bound.is_valid():
                return _page(
                    request,
                    encounter,
                    error="The line was not saved. Please correct the errors below.",
                    error_at=error_at,
                    bound=bound,
                    status=400,
                )
            coding.code_line(encounter, bound.charge_input(), line)
            messages.success(request, "Charge line saved.")
        elif action == "remove_line":
            line = get_or_404(encounter.charge_lines.all(), request.POST.get("line", ""))
            error_at = f"line{line.pk}"
            coding.uncode_line(encounter, line)
            messages.success(request, "Charge line removed.")
        elif action == "finish":
            error_at = "finish"
            coding.finish_coding(encounter)
            messages.success(request, "Coding finished: the visit is ready to bill.")
        elif action == "start_claim":
            if not can(request, Capability.SUBMIT_CLAIMS):
                return render(request, "core/forbidden.html", status=403)
            error_at = "finish"
            claim = coding.start_claim(encounter)
            messages.success(request, f"Claim {claim.patient_control_number} drafted.")
        else:
            return _page(request, encounter, error="Unknown action.", status=400)
    except ClaimsError as refused:
        fresh = get_or_404(encounters_for_coding(), encounter_id)
        return _page(request, fresh, error=refused.message, error_at=error_at, bound=bound, status=400)
    return redirect("claims:encounter", encounter_id=encounter.pk)


@require_GET
@capability_required(Capability.CODE_CHARGES)
def diagnosis_search(request: HttpRequest) -> JsonResponse:
    """Billable ICD-10-CM codes for the coding screen's live search: ?q= a code prefix or words."""
    form = DiagnosisSearchForm(request.GET)
    if not form.is_valid():
        return JsonResponse(
            {"code": "invalid_query", "message": "Search with at most 100 characters."}, status=400
        )
    found = search_diagnoses(form.cleaned_data["q"], limit=SEARCH_LIMIT)
    return JsonResponse({"results": [{"code": c.code, "description": c.description} for c in found]})
