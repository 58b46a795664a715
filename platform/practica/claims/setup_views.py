"""Billing setup in the back office (MANAGE_BILLING_SETUP): the billing profile, payers, the
procedure list (with a CSV import that can be tried as a dry run and reports each bad row) and fee
schedules. Every write goes through practica.claims.billing_setup or insurance.services."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.claims import billing_setup
from practica.claims.errors import ClaimsError
from practica.claims.models import BillingProfile, Clearinghouse, FeeSchedule, ProcedureCode
from practica.claims.setup_forms import (
    BillingProfileForm,
    FeeScheduleForm,
    PayerForm,
    ProcedureForm,
    ProcedureImportForm,
)
from practica.insurance.models import Payer
from practica.insurance.services import save_payer
from practica.scheduling.view_helpers import get_or_404

SETUP = Capability.MANAGE_BILLING_SETUP


def _clearinghouse() -> str:
    profile = BillingProfile.objects.first()
    return profile.clearinghouse if profile else Clearinghouse.FOLDER


def _form_page(request: HttpRequest, title: str, form: Any, status: int = 200, **extra: Any) -> HttpResponse:
    context = {"title": title, "form": form, **extra}
    return render(request, "claims/setup_edit.html", context, status=400 if form.errors else status)


def _model_errors(form: Any, error: ValidationError) -> None:
    for name, messages_ in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages_)


@capability_required(SETUP)
def setup_overview(request: HttpRequest) -> HttpResponse:
    clearinghouse = _clearinghouse()
    context = {
        "profile": BillingProfile.objects.first(),
        "payers": [(p, p.payer_id_for(clearinghouse)) for p in Payer.objects.order_by("name")],
        "procedures": list(ProcedureCode.objects.order_by("code")),
        "schedules": list(
            FeeSchedule.objects.select_related("payer", "location")
            .annotate(fees=Count("entries"))
            .order_by("-effective_from", "name")
        ),
    }
    return render(request, "claims/setup.html", context)


@capability_required(SETUP)
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = BillingProfileForm(request.POST or None, instance=BillingProfile.objects.first())
    if request.method == "POST" and form.is_valid():
        billing_setup.save_billing_profile(form.save(commit=False))
        messages.success(request, "Billing profile saved.")
        return redirect("claims:setup")
    return _form_page(request, "Billing profile", form)


@capability_required(SETUP)
def payer_edit(request: HttpRequest, payer_id: str | None = None) -> HttpResponse:
    payer = get_or_404(Payer.objects.all(), payer_id) if payer_id else Payer()
    form = PayerForm(request.POST or None, instance=payer, clearinghouse=_clearinghouse())
    if request.method == "POST" and form.is_valid():
        saved = save_payer(form.payer_data(), payer if payer.pk else None)
        messages.success(request, f"Payer {saved.name} saved.")
        return redirect("claims:setup")
    return _form_page(request, payer.name or "New payer", form)


@capability_required(SETUP)
def procedure_edit(request: HttpRequest, procedure_id: str | None = None) -> HttpResponse:
    procedure = get_or_404(ProcedureCode.objects.all(), procedure_id) if procedure_id else ProcedureCode()
    form = ProcedureForm(request.POST or None, instance=procedure)
    if request.method == "POST" and form.is_valid():
        procedure = form.save(commit=False)
        procedure.default_fee_cents = int(form.cleaned_data["default_fee"] * 100)
        try:
            billing_setup.save_procedure(procedure)
        except ValidationError as error:
            _model_errors(form, error)
        else:
            messages.success(request, f"Procedure {procedure.code} saved.")
            return redirect("claims:setup")
    return _form_page(request, f"Procedure {procedure.code}" if procedure.pk else "New procedure", form)


@capability_required(SETUP)
def procedure_import(request: HttpRequest) -> HttpResponse:
    form = ProcedureImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(billing_setup.MAX_IMPORT_BYTES + 1)
        report = billing_setup.import_procedures(data, dry_run=form.cleaned_data["dry_run"])
        if report.saved:
            messages.success(
                request,
                f"Procedures imported: {report.count('add')} added, {report.count('update')} updated.",
            )
            return redirect("claims:setup")
    status = 400 if form.errors or (report and not report.ok) else 200
    context = {
        "form": form,
        "report": report,
        "adds": report.count("add") if report else 0,
        "updates": report.count("update") if report else 0,
    }
    return render(request, "claims/procedure_import.html", context, status=status)


def _fees_from(
    request: HttpRequest, procedures: list[ProcedureCode]
) -> tuple[dict[ProcedureCode, int | None], list[str]]:
    fees: dict[ProcedureCode, int | None] = {}
    errors = []
    for procedure in procedures:
        text = request.POST.get(f"fee-{procedure.pk}", "").strip()
        try:
            fees[procedure] = billing_setup.dollars_to_cents(text) if text else None
        except ValueError as error:
            errors.append(f"{procedure.code}: {error}")
    return fees, errors


@capability_required(SETUP)
def fee_schedule_edit(request: HttpRequest, schedule_id: str | None = None) -> HttpResponse:
    schedule = get_or_404(FeeSchedule.objects.all(), schedule_id) if schedule_id else FeeSchedule()
    form = FeeScheduleForm(request.POST or None, instance=schedule)
    procedures = list(ProcedureCode.objects.filter(is_active=True).order_by("code"))
    current = {e.procedure_id: e.fee_cents for e in schedule.entries.all()} if schedule.pk else {}
    fee_errors: list[str] = []
    if request.method == "POST":
        fees, fee_errors = _fees_from(request, procedures)
        if form.is_valid() and not fee_errors:
            try:
                billing_setup.save_fee_schedule(form.save(commit=False), fees)
            except ValidationError as error:
                _model_errors(form, error)
            except ClaimsError as refused:
                fee_errors.append(refused.message)
            else:
                messages.success(request, "Fee schedule saved.")
                return redirect("claims:setup")
        current = {p.pk: cents for p, cents in fees.items() if cents is not None}
    rows = [(p, "" if current.get(p.pk) is None else f"{current[p.pk] / 100:.2f}") for p in procedures]
    status = 400 if form.errors or fee_errors else 200
    return render(
        request,
        "claims/fee_schedule.html",
        {"form": form, "rows": rows, "fee_errors": fee_errors, "schedule": schedule},
        status=status,
    )
