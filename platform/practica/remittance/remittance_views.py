"""Remittance pages for billers: payments received with an 835 upload, the exceptions to work
(match a held payment to its claim, decide a probable duplicate, dismiss), and a paper EOB posted
by hand. Every write goes through practica.remittance.services."""

import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.claims.models import Claim, ClaimLine
from practica.remittance import selectors, services
from practica.remittance.errors import RemittanceError
from practica.remittance.models import Adjustment, Remittance, RemittanceException, RemittanceFile
from practica.scheduling.view_helpers import get_or_404

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_MONEY = re.compile(r"^-?\d{1,9}(\.\d{1,2})?$")


class UploadForm(forms.Form):
    file = forms.FileField(label="835 file")


class MatchForm(forms.Form):
    patient_control_number = forms.CharField(label="Claim (patient control number)", max_length=20)


class DismissForm(forms.Form):
    note = forms.CharField(label="Why it is dismissed", max_length=300)


def _cents(value: str, label: str) -> int:
    value = value.strip().replace("$", "").replace(",", "")
    if not value:
        return 0
    if not _MONEY.match(value):
        raise forms.ValidationError(f"{label}: {value!r} is not an amount in dollars and cents.")
    dollars, _, cents = value.partition(".")
    sign = -1 if dollars.startswith("-") else 1
    return sign * (abs(int(dollars)) * 100 + int((cents + "00")[:2]))


@capability_required(Capability.POST_REMITTANCE)
@require_http_methods(["GET", "POST"])
def remittance_home(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error("file", "The file is larger than 20 MB.")
        else:
            try:
                result = services.import_remittance(
                    upload.name[:200], upload.read(), source=RemittanceFile.Source.UPLOAD
                )
            except RemittanceError as refused:
                form.add_error("file", refused.message)
            else:
                messages.success(request, result.summary + ".")
                return redirect("remittance:home")
    context = {
        "form": form,
        "remittances": list(selectors.recent_remittances()),
        "counts": selectors.exception_counts(),
    }
    return render(request, "remittance/home.html", context, status=400 if form.errors else 200)


@capability_required(Capability.POST_REMITTANCE)
def exception_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in RemittanceException.Kind.values else ""
    context = {
        "exceptions": list(selectors.open_exceptions(kind)[:200]),
        "kind": kind,
        "kinds": RemittanceException.Kind.choices,
        "counts": selectors.exception_counts(),
    }
    return render(request, "remittance/exceptions.html", context)


@capability_required(Capability.POST_REMITTANCE)
@require_http_methods(["GET", "POST"])
def exception_detail(request: HttpRequest, exception_id: str) -> HttpResponse:
    exception = get_or_404(
        RemittanceException.objects.select_related(
            "remittance__file", "claim_payment__claim", "claim_payment__remittance", "service", "file"
        ),
        exception_id,
    )
    match = MatchForm(request.POST if request.POST.get("action") == "match" else None)
    dismiss = DismissForm(request.POST if request.POST.get("action") == "dismiss" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "match" and match.is_valid():
                claim = Claim.objects.filter(
                    patient_control_number=match.cleaned_data["patient_control_number"].strip()
                ).first()
                if claim is None:
                    match.add_error("patient_control_number", "No claim has this patient control number.")
                else:
                    bundle = services.match_to_claim(exception, claim)
                    if bundle.problems:
                        messages.error(request, "Still held: " + " ".join(p.message for p in bundle.problems))
                    else:
                        messages.success(request, f"Posted to claim {claim.patient_control_number}.")
                    return redirect("remittance:exceptions")
            elif action == "dismiss" and dismiss.is_valid():
                services.dismiss_exception(exception, dismiss.cleaned_data["note"])
                messages.success(request, "Dismissed.")
                return redirect("remittance:exceptions")
            elif action in ("duplicate", "not_duplicate") and exception.remittance is not None:
                services.decide_duplicate(exception.remittance, is_duplicate=action == "duplicate")
                said = "Not posted: a duplicate." if action == "duplicate" else "Posted: not a duplicate."
                messages.success(request, said)
                return redirect("remittance:exceptions")
        except RemittanceError as refused:
            messages.error(request, refused.message)
            return redirect("remittance:exception", exception_id=exception.pk)
    payment = exception.claim_payment
    context = {
        "exception": exception,
        "payment": payment,
        "services": list(payment.services.select_related("claim_line")) if payment else [],
        "adjustments": list(Adjustment.objects.filter(claim_payment=payment)) if payment else [],
        "findings": exception.file.validation_findings if exception.file else [],
        "match_form": match,
        "dismiss_form": dismiss,
        "can_match": payment is not None and exception.kind != RemittanceException.Kind.PROBABLE_DUPLICATE,
        "is_duplicate": exception.kind == RemittanceException.Kind.PROBABLE_DUPLICATE
        and exception.remittance is not None
        and exception.remittance.duplicate_status == Remittance.Duplicate.SUSPECTED,
    }
    status = 400 if match.errors or dismiss.errors else 200
    return render(request, "remittance/exception.html", context, status=status)


@capability_required(Capability.POST_REMITTANCE)
def remittance_detail(request: HttpRequest, remittance_id: str) -> HttpResponse:
    remittance = get_or_404(selectors.remittance_in_detail(remittance_id), remittance_id)
    return render(request, "remittance/remittance.html", {"remittance": remittance})


@capability_required(Capability.POST_REMITTANCE)
@require_http_methods(["GET", "POST"])
def manual_posting(request: HttpRequest) -> HttpResponse:
    """Step one: the claim by its patient control number (GET ?claim=). Step two: per line, the
    amount paid and up to two adjustments (group, reason code, amount), the check number and date."""
    pcn = (request.GET.get("claim") or request.POST.get("claim") or "").strip()[:20]
    claim = selectors.claim_for_posting(pcn) if pcn else None
    errors: list[str] = []
    if pcn and claim is None:
        errors.append(f"No claim has the patient control number {pcn!r}.")
    lines: list[ClaimLine] = list(claim.lines.all()) if claim else []
    if request.method == "POST" and claim is not None:
        try:
            check_number = request.POST.get("check_number", "").strip()
            try:
                check_date = dt.date.fromisoformat(request.POST.get("check_date", ""))
            except ValueError:
                raise forms.ValidationError("Enter the check date (YYYY-MM-DD).") from None
            posted = []
            for line in lines:
                paid = request.POST.get(f"paid_{line.pk}", "").strip()
                adjustments = []
                for n in (1, 2):
                    group = request.POST.get(f"group_{line.pk}_{n}", "").strip().upper()
                    amount = request.POST.get(f"amount_{line.pk}_{n}", "").strip()
                    if group and amount:
                        adjustments.append(
                            services.ManualAdjustment(
                                group,
                                request.POST.get(f"reason_{line.pk}_{n}", "").strip().upper(),
                                _cents(amount, f"line {line.line_number} adjustment"),
                            )
                        )
                if paid or adjustments:
                    posted.append(
                        services.ManualLine(
                            line, _cents(paid, f"line {line.line_number} paid"), tuple(adjustments)
                        )
                    )
            payment = services.post_manual_payment(
                claim, check_number=check_number, check_date=check_date, lines=posted
            )
        except (forms.ValidationError, RemittanceError) as refused:
            errors.append(refused.message if isinstance(refused, RemittanceError) else refused.messages[0])
        else:
            if payment.remittance.duplicate_status == Remittance.Duplicate.SUSPECTED:
                messages.warning(request, "Held: this check came in an 835 already. See the exceptions.")
            else:
                messages.success(request, f"Posted to claim {claim.patient_control_number}.")
            return redirect("remittance:home")
    context = {
        "pcn": pcn,
        "claim": claim,
        "lines": lines,
        "errors": errors,
        "groups": Adjustment.Group.choices,
        "post": request.POST,
    }
    return render(request, "remittance/manual.html", context, status=400 if errors else 200)
