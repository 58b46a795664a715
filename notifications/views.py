"""Back-office pages: the delivery log, reminder settings, templates and Twilio settings."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from notifications.forms import MessageTemplateForm, ReminderPolicyForm, ReminderRuleForm, TwilioSettingsForm
from notifications.models import (
    EDITABLE_KINDS,
    Channel,
    InboundMessage,
    Language,
    MessageTemplate,
    Notification,
    ReminderRule,
)
from notifications.policy import current_policy
from notifications.routing.models import PracticeSmsRoute
from notifications.services import preview, save_sms_route, save_template
from notifications.templating import PLACEHOLDERS, asks_to_reply_cancel, default_wording
from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability


@capability_required(Capability.VIEW_SCHEDULE)
def delivery_log(request: HttpRequest) -> HttpResponse:
    """Every planned and sent message with its state and, for failures, the reason."""
    rows = Notification.objects.select_related(
        "appointment__patient", "thread__patient", "waitlist_offer__entry__patient"
    ).order_by("-due_at")
    state = request.GET.get("state", "")
    if state in Notification.State.values:
        rows = rows.filter(state=state)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "states": Notification.State.choices,
        "state": state,
        "inbound": InboundMessage.objects.select_related("patient")[:20],
    }
    return render(request, "notifications/log.html", context)


@capability_required(Capability.MANAGE_SETUP)
def reminder_settings(request: HttpRequest) -> HttpResponse:
    policy = current_policy()
    form = ReminderPolicyForm(
        request.POST if request.POST.get("action") == "policy" else None, instance=policy
    )
    rule_form = ReminderRuleForm(request.POST if request.POST.get("action") == "add_rule" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "policy" and form.is_valid():
            form.save()
            messages.success(request, "Reminder settings saved.")
            return redirect("notification_settings")
        if action == "add_rule" and rule_form.is_valid():
            rule_form.save()
            return redirect("notification_settings")
        if action == "delete_rule":
            rule = request.POST.get("rule", "")
            if rule.isdigit():
                ReminderRule.objects.filter(pk=int(rule)).delete()
            return redirect("notification_settings")
    rules = ReminderRule.objects.select_related("appointment_type")
    return render(
        request, "notifications/settings.html", {"form": form, "rule_form": rule_form, "rules": rules}
    )


@capability_required(Capability.MANAGE_SETUP)
def template_list(request: HttpRequest) -> HttpResponse:
    saved = {(t.kind, t.channel, t.language) for t in MessageTemplate.objects.all()}
    rows = [
        {"kind": kind, "channel": channel, "language": language, "custom": (kind, channel, language) in saved}
        for kind in EDITABLE_KINDS
        for channel in Channel
        for language in Language
    ]
    return render(request, "notifications/templates.html", {"rows": rows})


@capability_required(Capability.MANAGE_SETUP)
def template_edit(request: HttpRequest, kind: str, channel: str, language: str) -> HttpResponse:
    if kind not in EDITABLE_KINDS or channel not in Channel.values or language not in Language.values:
        raise Http404("No such template.")
    template = MessageTemplate.objects.filter(kind=kind, channel=channel, language=language).first()
    if template is None:
        subject, text, body_html = default_wording(kind, channel, language)
        template = MessageTemplate(
            kind=kind,
            channel=channel,
            language=language,
            subject=subject,
            body_text=text,
            body_html=body_html,
        )
    form = MessageTemplateForm(request.POST or None, instance=template)
    shown = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            shown = preview(form.instance)
        else:
            save_template(form.instance)
            messages.success(request, "Template saved.")
            return redirect("notification_templates")
    text = form.data.get("body_text", template.body_text) if form.is_bound else template.body_text
    context = {
        "form": form,
        "template": template,
        "preview": shown,
        "placeholders": PLACEHOLDERS,
        "asks_for_cancel": template.channel == Channel.SMS and asks_to_reply_cancel(str(text)),
    }
    return render(request, "notifications/template_edit.html", context)


@capability_required(Capability.MANAGE_SETUP)
def twilio_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.practice  # type: ignore[attr-defined]
    route = PracticeSmsRoute.objects.filter(practice_id=tenant.pk).first()
    initial = (
        {
            "account_sid": route.account_sid,
            "messaging_service_sid": route.messaging_service_sid,
            "from_number": route.from_number,
        }
        if route
        else {}
    )
    form = TwilioSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save_sms_route(**form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Twilio settings saved.")
            return redirect("notification_twilio")
    context = {"form": form, "route": route, "uses_platform_default": route is None}
    return render(request, "notifications/twilio.html", context)
