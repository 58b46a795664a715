"""The patient's statements in the portal: the list (dates, amount due, due date) and each
statement's PDF; anyone else's is not found. Paying goes through the balance page or the
statement's own pay-by-link."""

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from portal.sessions import patient_required
from practica.patient_billing.selectors import balance_cents
from practica.statements.models import Statement
from practica.statements.rendering import pdf_bytes
from practica.statements.selectors import patient_statements


@patient_required
def statements(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    context = {
        "patient": patient,
        "statements": list(patient_statements(patient.pk).exclude(rendered_at=None)),
        "balance_cents": balance_cents(patient),
    }
    return render(request, "portal/statements.html", context)


@patient_required
def statement_pdf(request: HttpRequest, statement_id: UUID) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    statement = get_object_or_404(Statement, pk=statement_id, patient=patient)
    if not statement.pdf:
        raise Http404(_("This statement is not ready yet."))
    response = HttpResponse(pdf_bytes(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{statement.reference}.pdf"'
    return response
