"""The practice's say over the claim scrubber (MANAGE_BILLING_SETUP): each built-in rule as an error,
a warning or off, and the practice's own field/operator/value rules. Every change goes through
practica.claims.scrubber.settings, which also has the unsent claims scrubbed again once it commits."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.claims.models import CustomScrubRule, Severity
from practica.claims.scrubber import settings as scrub_settings
from practica.claims.setup_forms import CustomScrubRuleForm
from practica.scheduling.view_helpers import get_or_404

SETUP = Capability.MANAGE_BILLING_SETUP
OFF = "off"
CHOICES = [(Severity.ERROR, "Error (blocks sending)"), (Severity.WARNING, "Warning"), (OFF, "Off")]


@capability_required(SETUP)
def scrub_rules(request: HttpRequest) -> HttpResponse:
    catalogue = scrub_settings.rule_catalogue()
    if request.method == "POST":
        changed = []
        with transaction.atomic():
            for rule in catalogue:
                wanted = request.POST.get(f"rule-{rule.id}", "")
                if wanted not in (Severity.ERROR, Severity.WARNING, OFF):
                    continue  # not on the form (or tampered with): left as it is
                current = rule.severity if rule.enabled else OFF
                if wanted != current:
                    scrub_settings.configure_rule(
                        rule.id, enabled=wanted != OFF, severity="" if wanted == OFF else wanted
                    )
                    changed.append(rule.id)
        if changed:
            messages.success(
                request,
                f"{len(changed)} rule{'s' if len(changed) != 1 else ''} changed; "
                "claims not yet sent are being checked again.",
            )
        else:
            messages.info(request, "Nothing changed.")
        return redirect("claims:scrub_rules")
    rows = [(rule, rule.severity if rule.enabled else OFF) for rule in catalogue]
    custom = list(CustomScrubRule.objects.select_related("payer").order_by("name"))
    return render(
        request, "claims/scrub_rules.html", {"rows": rows, "choices": CHOICES, "custom_rules": custom}
    )


@capability_required(SETUP)
def custom_rule_edit(request: HttpRequest, rule_id: str | None = None) -> HttpResponse:
    rule = get_or_404(CustomScrubRule.objects.all(), rule_id) if rule_id else CustomScrubRule()
    form = CustomScrubRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = scrub_settings.save_custom_rule(form.save(commit=False))
        except scrub_settings.ScrubSettingError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request, f"Rule {saved.name} saved; claims not yet sent are being checked again."
            )
            return redirect("claims:scrub_rules")
    title = f"Rule: {rule.name}" if rule.pk else "A rule of the practice's own"
    context = {"title": title, "form": form, "rule": rule}
    return render(request, "claims/scrub_rule_edit.html", context, status=400 if form.errors else 200)


@require_POST
@capability_required(SETUP)
def custom_rule_delete(request: HttpRequest, rule_id: str) -> HttpResponse:
    rule = get_or_404(CustomScrubRule.objects.all(), rule_id)
    with transaction.atomic():
        scrub_settings.delete_custom_rule(rule)
    messages.success(request, f"Rule {rule.name} removed.")
    return redirect("claims:scrub_rules")
