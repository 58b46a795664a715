"""Twilio webhooks: signed status callbacks and inbound SMS replies that act."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications.models import Channel, InboundMessage, Kind, Notification, SmsOptOut
from notifications.policy import current_policy
from notifications.routing.models import PracticeSmsRoute
from notifications.services import save_sms_route
from practica.accounts.roles import Role
from practica.scheduling.models import Appointment, SchedulingPolicy
from tests.conftest import PUBLIC_HOST, host_of, signed_in_client, staff
from tests.factories import Clinic
from tests.notifications.conftest import local

State = Notification.State
TOKEN = "alpha-practice-token"
SERVICE = "MG" + "a1" * 16
INBOUND_URL = f"http://{PUBLIC_HOST}/twilio/sms/inbound/"
PATIENT_PHONE = "+15552010001"


@pytest.fixture
def routed(alpha: Clinic) -> Clinic:
    save_sms_route(
        account_sid="AC" + "b2" * 16,
        auth_token=TOKEN,
        messaging_service_sid=SERVICE,
        from_number="+15550009999",
    )
    return alpha


def post_signed(url: str, params: dict[str, str], token: str = TOKEN, host: str = PUBLIC_HOST) -> object:
    signature = RequestValidator(token).compute_signature(url, params)
    return keeping_schema(lambda: Client(HTTP_HOST=host).post(url, params, HTTP_X_TWILIO_SIGNATURE=signature))


def keeping_schema(request: Callable[[], object]) -> Any:
    """Requests switch the shared test connection to their host's schema; the test continues in its own."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    try:
        return request()
    finally:
        connection.set_tenant(tenant)  # type: ignore[attr-defined]


def text(body: str, **extra: str) -> dict[str, str]:
    params = {"From": PATIENT_PHONE, "To": "+15550009999", "Body": body, "MessageSid": "SM" + "c3" * 16}
    params["MessagingServiceSid"] = SERVICE
    params.update(extra)
    return params


def test_the_auth_token_is_stored_encrypted(routed: Clinic) -> None:
    route = PracticeSmsRoute.objects.get(practice=routed.practice)
    assert TOKEN not in route.auth_token_encrypted
    from notifications.crypto import decrypt

    assert decrypt(route.auth_token_encrypted) == TOKEN


# --- status callbacks ---


def sent_sms(alpha: Clinic) -> Notification:
    appointment = alpha.book(local(3, 14))
    row = appointment.notifications.filter(channel=Channel.SMS, kind=Kind.CONFIRMATION).get()
    Notification.objects.filter(pk=row.pk).update(
        state=State.SENT, provider_message_id="SM" + "d4" * 16, to_address=PATIENT_PHONE
    )
    return row


def status_url(alpha: Clinic) -> str:
    return f"http://{host_of(alpha.practice)}/notifications/twilio/status/"


def test_a_signed_status_callback_marks_the_message_delivered(routed: Clinic) -> None:
    row = sent_sms(routed)
    params = {"MessageSid": "SM" + "d4" * 16, "MessageStatus": "delivered"}
    response = post_signed(status_url(routed), params, host=host_of(routed.practice))
    assert response.status_code == 204  # type: ignore[attr-defined]
    row.refresh_from_db()
    assert row.state == State.DELIVERED
    assert row.delivered_at is not None


def test_a_failed_delivery_is_recorded_with_its_reason(routed: Clinic) -> None:
    row = sent_sms(routed)
    params = {"MessageSid": "SM" + "d4" * 16, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    post_signed(status_url(routed), params, host=host_of(routed.practice))
    row.refresh_from_db()
    assert (row.state, row.error_code) == (State.FAILED, "30003")


@pytest.mark.parametrize("signature", [None, "bogus", "other-token"])
def test_unsigned_or_badly_signed_status_callbacks_are_refused(routed: Clinic, signature: str | None) -> None:
    row = sent_sms(routed)
    params = {"MessageSid": "SM" + "d4" * 16, "MessageStatus": "delivered"}
    headers: dict[str, Any] = {}
    if signature == "other-token":
        headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator("x").compute_signature(
            status_url(routed), params
        )
    elif signature:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    response = keeping_schema(
        lambda: Client(HTTP_HOST=host_of(routed.practice)).post(status_url(routed), params, **headers)
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.state == State.SENT


# --- inbound SMS ---


def test_c_confirms_the_next_appointment(routed: Clinic) -> None:
    appointment = routed.book(local(3, 14))
    response = post_signed(INBOUND_URL, text("  c. "))
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert b"is confirmed" in response.content  # type: ignore[attr-defined]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert InboundMessage.objects.get().handling == InboundMessage.Handling.CONFIRMED


@pytest.mark.parametrize("body", ["YES", "yes!", "Yes ", "Confirm"])
def test_yes_and_variants_confirm(routed: Clinic, body: str) -> None:
    appointment = routed.book(local(3, 14))
    post_signed(INBOUND_URL, text(body))
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED


def test_x_cancels_and_frees_the_slot_for_the_waitlist(
    routed: Clinic, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    appointment = routed.book(local(3, 14))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[attr-defined]
        response = post_signed(INBOUND_URL, text("Cancel"))
    assert b"is cancelled" in response.content  # type: ignore[attr-defined]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED_BY_PATIENT
    assert len(callbacks) >= 1  # the waitlist offer runs after commit
    assert appointment.notifications.filter(kind=Kind.CANCELLED).exists()


def test_cancel_inside_the_cutoff_follows_the_practice_policy(routed: Clinic) -> None:
    SchedulingPolicy.objects.update_or_create(singleton=True, defaults={"cancel_cutoff_hours": 24})
    appointment = routed.book(timezone.now() + datetime.timedelta(hours=5))
    response = post_signed(INBOUND_URL, text("X"))
    assert b"Please call the practice" in response.content  # type: ignore[attr-defined]
    appointment.refresh_from_db()
    assert appointment.is_active
    assert InboundMessage.objects.get().handling == InboundMessage.Handling.NEEDS_STAFF


def test_r_sends_a_link_to_the_portal_page_that_moves_that_appointment(routed: Clinic) -> None:
    appointment = routed.book(local(3, 14))
    response = post_signed(INBOUND_URL, text("r"))
    link = f"https://alpha.practica.test/portal/appointments/{appointment.pk}/reschedule/"
    assert link.encode() in response.content  # type: ignore[attr-defined]


def test_two_upcoming_appointments_get_a_helpful_reply_and_change_nothing(routed: Clinic) -> None:
    first = routed.book(local(3, 14))
    routed.book(local(4, 14))
    current_policy()
    response = post_signed(INBOUND_URL, text("C"))
    assert b"more than one upcoming appointment" in response.content  # type: ignore[attr-defined]
    first.refresh_from_db()
    assert first.status == Appointment.Status.BOOKED
    assert InboundMessage.objects.get().handling == InboundMessage.Handling.NEEDS_STAFF


def test_an_unknown_number_gets_a_helpful_reply(routed: Clinic) -> None:
    response = post_signed(INBOUND_URL, text("C", From="+15559990000"))
    assert b"could not find an upcoming appointment" in response.content  # type: ignore[attr-defined]


@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", "quit."])
def test_stop_opts_out_for_this_practice_and_later_sends_are_skipped(routed: Clinic, word: str) -> None:
    post_signed(INBOUND_URL, text(word))
    assert SmsOptOut.objects.filter(phone=PATIENT_PHONE).exists()
    post_signed(INBOUND_URL, text("START"))
    assert not SmsOptOut.objects.filter(phone=PATIENT_PHONE).exists()


def test_help_answers_with_the_practice_contact(routed: Clinic) -> None:
    policy = current_policy()
    policy.contact_phone = "(555) 010-2000"
    policy.save()
    response = post_signed(INBOUND_URL, text("help"))
    assert b"(555) 010-2000" in response.content  # type: ignore[attr-defined]


def test_anything_else_goes_to_the_inbox_and_is_not_echoed(routed: Clinic) -> None:
    response = post_signed(INBOUND_URL, text("My sugar has been high, should I come earlier?"))
    assert b"<Message>" not in response.content  # type: ignore[attr-defined]
    message = InboundMessage.objects.get()
    assert message.handling == InboundMessage.Handling.NEEDS_STAFF
    assert message.patient == routed.patient


@pytest.mark.parametrize("signature", [None, "bogus"])
def test_unsigned_or_badly_signed_inbound_sms_is_refused_and_changes_nothing(
    routed: Clinic, signature: str | None
) -> None:
    appointment = routed.book(local(3, 14))
    headers: dict[str, Any] = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    response = keeping_schema(lambda: Client(HTTP_HOST=PUBLIC_HOST).post(INBOUND_URL, text("C"), **headers))
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert not InboundMessage.objects.exists()


def test_the_practice_comes_from_the_routing_table_not_the_sender(routed: Clinic, practice_b: object) -> None:
    """Signed with another practice's token for alpha's service: refused."""
    response = post_signed(INBOUND_URL, text("STOP"), token="beta-token")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not SmsOptOut.objects.exists()


# --- Twilio's own opt-out handling (OptOutType) ---


@pytest.mark.parametrize("body", ["CANCEL", "cancel", "Stop", "END"])
def test_a_reply_twilio_took_as_an_opt_out_opts_out_and_leaves_the_appointment(
    routed: Clinic, body: str
) -> None:
    """CANCEL is one of Twilio's default opt-out words: Twilio has unsubscribed the patient and will
    refuse any text to them, so the reply is recorded as an opt-out, not a cancellation."""
    appointment = routed.book(local(3, 14))
    response = post_signed(INBOUND_URL, text(body, OptOutType="STOP"))
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert b"<Message>" not in response.content  # type: ignore[attr-defined]  # Twilio has answered
    assert SmsOptOut.objects.get(phone=PATIENT_PHONE).keyword == body.upper()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert InboundMessage.objects.get().handling == InboundMessage.Handling.OPTED_OUT


def test_an_opt_in_from_twilio_is_recorded_and_yes_still_confirms(routed: Clinic) -> None:
    appointment = routed.book(local(3, 14))
    post_signed(INBOUND_URL, text("CANCEL", OptOutType="STOP"))
    response = post_signed(INBOUND_URL, text("yes", OptOutType="START"))
    assert not SmsOptOut.objects.filter(phone=PATIENT_PHONE).exists()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert b"is confirmed" in response.content  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "opt_out_type", "handling"),
    [("START", "START", "opted_in"), ("help", "HELP", "help"), ("INFO", "HELP", "help")],
)
def test_start_and_help_handled_by_twilio_are_recorded_without_a_second_answer(
    routed: Clinic, body: str, opt_out_type: str, handling: str
) -> None:
    SmsOptOut.objects.create(phone=PATIENT_PHONE, keyword="STOP")
    response = post_signed(INBOUND_URL, text(body, OptOutType=opt_out_type))
    assert b"<Message>" not in response.content  # type: ignore[attr-defined]
    assert InboundMessage.objects.get().handling == handling
    assert SmsOptOut.objects.filter(phone=PATIENT_PHONE).exists() is (opt_out_type != "START")


def test_opt_out_type_is_covered_by_the_signature(routed: Clinic) -> None:
    """Added after signing, it is refused: no one can opt a patient out with a forged field."""
    params = text("C")
    signature = RequestValidator(TOKEN).compute_signature(INBOUND_URL, params)
    forged = {**params, "OptOutType": "STOP"}
    response = keeping_schema(
        lambda: Client(HTTP_HOST=PUBLIC_HOST).post(INBOUND_URL, forged, HTTP_X_TWILIO_SIGNATURE=signature)
    )
    assert response.status_code == 403
    assert not SmsOptOut.objects.exists()


# --- delivery log ---


def test_the_delivery_log_shows_failures_with_reasons_to_schedule_viewers_only(routed: Clinic) -> None:
    row = sent_sms(routed)
    Notification.objects.filter(pk=row.pk).update(
        state=State.FAILED, error_code="21211", error_message="Invalid"
    )
    viewer = signed_in_client(staff(routed.practice, Role.BILLER), routed.practice)
    response = keeping_schema(lambda: viewer.get("/notifications/log/"))
    assert response.status_code == 200
    assert b"21211: Invalid" in response.content
    assert b"Diabetes" not in response.content


def test_the_delivery_log_needs_a_role_at_this_practice(routed: Clinic, practice_b: object) -> None:
    from tenants.models import Practice

    assert isinstance(practice_b, Practice)
    outsider = signed_in_client(staff(practice_b, Role.OWNER), practice_b)
    outsider.defaults["HTTP_HOST"] = host_of(routed.practice)
    assert outsider.get("/notifications/log/").status_code == 404


def test_a_delivered_callback_is_pushed_to_the_practices_delivery_log_after_commit(
    routed: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.messaging.conftest import run_commit_hooks

    pushed: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        "notifications.live._send", lambda group, events: pushed.extend((group, e) for e in events)
    )
    row = sent_sms(routed)
    params = {"MessageSid": "SM" + "d4" * 16, "MessageStatus": "delivered"}
    post_signed(status_url(routed), params, host=host_of(routed.practice))
    run_commit_hooks()
    event = {"type": "state", "id": str(row.pk), "state": "delivered", "label": "Delivered"}
    assert pushed == [(f"{routed.practice.schema_name}.deliveries", event)]
