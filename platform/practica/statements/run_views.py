"""The back office's statement pages: runs with their counts and totals, a run's statements, a
statement's PDF, and the practice's statement settings. Thin: each calls one service."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.models import User
from practica.accounts.roles import Capability
from practica.audit.services import record_view, record_views
from practica.scheduling.view_helpers import can, get_or_404
from practica.statements import selectors, services
from practica.statements.forms import StatementSettingsForm
from practica.statements.models import Statement, StatementRun
from practica.statements.rendering import pdf_bytes

PAGE_SIZE = 100


@capability_required(Capability.VIEW_BILLING)
def run_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.runs(), 25).get_page(request.GET.get("page"))
    context = {"page": page, "runs": list(page.object_list), "can_run": can(request, Capability.EDIT_BILLING)}
    return render(request, "statements/runs.html", context)


@require_POST
@capability_required(Capability.EDIT_BILLING)
def run_now(request: HttpRequest) -> HttpResponse:
    by = request.user if isinstance(request.user, User) else None
    run = services.start_run(by=by)
    messages.success(request, f"{run.statement_count} statements made; their PDFs are being prepared.")
    return redirect("statements:run", run.pk)


@capability_required(Capability.VIEW_BILLING)
def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    run = get_or_404(selectors.runs(), run_id)
    page = Paginator(selectors.run_statements(run), PAGE_SIZE).get_page(request.GET.get("page"))
    statements = list(page.object_list)
    record_views({s.patient_id: s.patient for s in statements}.values())
    return render(request, "statements/run.html", {"run": run, "page": page, "statements": statements})


@capability_required(Capability.VIEW_BILLING)
def statement_pdf(request: HttpRequest, statement_id: str) -> HttpResponse:
    statement = get_or_404(Statement.objects.select_related("patient"), statement_id)
    if not statement.pdf:
        return render(request, "statements/not_ready.html", {"statement": statement}, status=404)
    record_view(statement.patient)
    response = HttpResponse(pdf_bytes(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{statement.reference}.pdf"'
    return response


@capability_required(Capability.MANAGE_BILLING_SETUP)
def settings_edit(request: HttpRequest) -> HttpResponse:
    form = StatementSettingsForm(request.POST or None, instance=services.current_settings())
    if request.method == "POST" and form.is_valid():
        try:
            services.save_settings(form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Statement settings saved.")
            return redirect("statements:run_list")
    return render(request, "statements/settings.html", {"form": form}, status=400 if form.errors else 200)


@capability_required(Capability.VIEW_BILLING)
def print_batch(request: HttpRequest, run_id: str) -> HttpResponse:
    """The run's paper statements in one PDF, to print and fold into window envelopes."""
    run = get_or_404(StatementRun.objects.all(), run_id)
    if not run.print_batch:
        return render(request, "statements/not_ready.html", {"run": run}, status=404)
    with run.print_batch.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statements-{run.period:%Y-%m}-print.pdf"'
    return response


@capability_required(Capability.VIEW_BILLING)
def receivables(request: HttpRequest) -> HttpResponse:
    """Patient A/R by age bucket (totals), and the patients of one bucket (drill-down)."""
    owing = selectors.receivables_by_age(timezone.now())
    keys = [key for key, _ in selectors.BUCKETS]
    totals = [sum(p.aging_values()[i] for p in owing) for i in range(len(keys))]
    bucket = request.GET.get("bucket", "")
    rows = owing
    if bucket in keys:
        rows = sorted((p for p in owing if p.bucket(bucket) > 0), key=lambda p: -p.bucket(bucket))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "buckets": [
            {"key": key, "label": label, "total": total, "patients": sum(1 for p in owing if p.bucket(key))}
            for (key, label), total in zip(selectors.BUCKETS, totals, strict=True)
        ],
        "grand_total": sum(totals),
        "patient_count": len(owing),
        "bucket": bucket if bucket in keys else "",
        "bucket_label": dict(selectors.BUCKETS).get(bucket, ""),
        "page": page,
        "rows": list(page.object_list),
        "query": f"&bucket={bucket}" if bucket in keys else "",
    }
    return render(request, "statements/receivables.html", context)
