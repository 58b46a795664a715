"""Twilio webhooks: delivery status callbacks and inbound SMS. Both are signature-checked with
twilio's RequestValidator before anything is read or changed; a bad or missing signature is 403."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from notifications import consent, sms
from notifications.inbound import handle_sms
from notifications.live import push_states_on_commit
from notifications.models import Notification
from notifications.routing.models import PracticeSmsRoute
from practica.audit.context import acts_as, webhook
from tenants.models import Practice

State = Notification.State


def _signed(request: HttpRequest, auth_token: str) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not auth_token:
        return False
    params = {key: request.POST.get(key) for key in request.POST}
    return bool(RequestValidator(auth_token).validate(request.build_absolute_uri(), params, signature))


@csrf_exempt
@require_POST
@acts_as(webhook("twilio.status_callback"))
def status_callback(request: HttpRequest) -> HttpResponse:
    """On the practice's host: Twilio reports what became of a message we sent."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    account = sms.account_for(tenant.pk)
    if account is None or not _signed(request, account.auth_token):
        return HttpResponseForbidden("Invalid signature.")
    sid = request.POST.get("MessageSid", "")
    status = request.POST.get("MessageStatus", "")
    error_code = request.POST.get("ErrorCode", "")
    rows = (
        Notification.objects.filter(provider_message_id=sid).exclude(state=State.DELIVERED) if sid else None
    )
    if rows is not None:
        if status in ("delivered", "undelivered", "failed"):
            state = State.DELIVERED if status == "delivered" else State.FAILED
            push_states_on_commit([(pk, state) for pk in rows.values_list("pk", flat=True)])
        if status == "delivered":
            rows.update(state=State.DELIVERED, delivered_at=timezone.now(), updated_at=timezone.now())
        elif status in ("undelivered", "failed"):
            rows.update(
                state=State.FAILED,
                error_code=error_code or status,
                error_message=f"Twilio reported the message {status}.",
                updated_at=timezone.now(),
            )
            if error_code == "21610":
                for phone in rows.values_list("to_address", flat=True):
                    consent.opt_out(phone, keyword=consent.CARRIER)
    return HttpResponse(status=204)


def _route_for(request: HttpRequest) -> PracticeSmsRoute | None:
    """The practice that owns the receiving Messaging Service or number (public table)."""
    service = request.POST.get("MessagingServiceSid", "")
    if service:
        route = (
            PracticeSmsRoute.objects.select_related("practice").filter(messaging_service_sid=service).first()
        )
        if route is not None:
            return route
    to = request.POST.get("To", "")
    return PracticeSmsRoute.objects.select_related("practice").filter(from_number=to).first() if to else None


def _twiml(reply: str) -> HttpResponse:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return HttpResponse(str(response), content_type="application/xml")


@csrf_exempt
@require_POST
@acts_as(webhook("twilio.inbound_sms"))
def inbound_sms(request: HttpRequest) -> HttpResponse:
    """On the public site: a patient texted a practice's number."""
    route = _route_for(request)
    if route is None:
        account = sms.platform_account()  # the platform's number: we cannot tell which practice
        if account is None or not _signed(request, account.auth_token):
            return HttpResponseForbidden("Invalid signature.")
        return _twiml("We could not tell which practice this is for. Please call your practice directly.")
    token = sms.account_for(route.practice_id)
    if token is None or not _signed(request, token.auth_token):
        return HttpResponseForbidden("Invalid signature.")
    practice: Practice = route.practice
    with tenant_context(practice):
        outcome = handle_sms(
            from_phone=request.POST.get("From", ""),
            body=request.POST.get("Body", ""),
            message_sid=request.POST.get("MessageSid", ""),
            opt_out_type=request.POST.get("OptOutType", ""),
        )
    return _twiml(outcome.reply)
