"""Back-office settings: reminder policy, templates with preview, Twilio settings (MANAGE_SETUP)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from notifications.crypto import decrypt
from notifications.models import MessageTemplate, ReminderRule
from notifications.policy import current_policy
from notifications.routing.models import PracticeSmsRoute
from practica.accounts.roles import Role
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import Clinic


def as_role(setup: Clinic, role: str) -> Client:
    return signed_in_client(staff(setup.practice, role), setup.practice)


def keeping_schema(request: Callable[[], Any]) -> Any:
    tenant = connection.tenant  # type: ignore[attr-defined]
    try:
        return request()
    finally:
        connection.set_tenant(tenant)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url", ["/notifications/settings/", "/notifications/templates/", "/notifications/twilio/"]
)
def test_settings_pages_need_manage_setup(alpha: Clinic, url: str) -> None:
    assert keeping_schema(lambda: as_role(alpha, Role.FRONT_DESK).get(url)).status_code == 403
    assert keeping_schema(lambda: as_role(alpha, Role.MANAGER).get(url)).status_code == 200


def test_adding_a_reminder_and_changing_quiet_hours(alpha: Clinic) -> None:
    client = as_role(alpha, Role.OWNER)
    current_policy()
    response = keeping_schema(
        lambda: client.post(
            "/notifications/settings/", {"action": "add_rule", "offset_hours": "48", "channel": "sms"}
        )
    )
    assert response.status_code == 302
    assert ReminderRule.objects.filter(offset_minutes=48 * 60, channel="sms").exists()
    response = keeping_schema(
        lambda: client.post(
            "/notifications/settings/",
            {
                "action": "policy",
                "confirm_on_booking": "on",
                "notice_channels": ["email"],
                "default_language": "es",
                "quiet_start": "20:00",
                "quiet_end": "09:00",
                "min_useful_lead_minutes": "30",
            },
        )
    )
    assert response.status_code == 302
    policy = current_policy()
    assert (policy.quiet_start.hour, policy.quiet_end.hour, policy.notice_channels) == (20, 9, "email")


def test_a_template_with_clinical_placeholders_gets_a_form_error_and_is_not_saved(alpha: Clinic) -> None:
    client = as_role(alpha, Role.OWNER)
    url = "/notifications/templates/reminder/sms/en/"
    response = keeping_schema(
        lambda: client.post(url, {"body_text": "Your {diagnosis} visit", "action": "save"})
    )
    assert response.status_code == 200
    assert b"{diagnosis} is not a placeholder you can use." in response.content
    assert not MessageTemplate.objects.exists()


def test_template_preview_shows_sample_data_without_saving(alpha: Clinic) -> None:
    client = as_role(alpha, Role.OWNER)
    url = "/notifications/templates/reminder/sms/es/"
    response = keeping_schema(
        lambda: client.post(url, {"body_text": "{practice_name}: {date} {time}", "action": "preview"})
    )
    assert b"Riverside Family Medicine: Tuesday 3 March 9:30 AM" in response.content
    assert not MessageTemplate.objects.exists()
    keeping_schema(lambda: client.post(url, {"body_text": "{practice_name}: {date}", "action": "save"}))
    assert MessageTemplate.objects.get(language="es").body_text == "{practice_name}: {date}"


def test_sms_wording_that_asks_patients_to_reply_cancel_is_flagged(alpha: Clinic) -> None:
    client = as_role(alpha, Role.OWNER)
    url = "/notifications/templates/reminder/sms/en/"
    assert b"not CANCEL" not in keeping_schema(lambda: client.get(url)).content  # the default asks for X
    response = keeping_schema(
        lambda: client.post(url, {"body_text": "{date}: reply CANCEL to cancel", "action": "preview"})
    )
    assert b"ask patients to reply X to cancel, not CANCEL" in response.content
    assert b"Advanced Opt-Out" in response.content


def test_the_twilio_page_says_how_to_make_cancel_a_command(alpha: Clinic) -> None:
    response = keeping_schema(lambda: as_role(alpha, Role.OWNER).get("/notifications/twilio/"))
    assert b"enable Advanced Opt-Out on your Messaging Service" in response.content


def test_unknown_template_kinds_are_404(alpha: Clinic) -> None:
    response = keeping_schema(
        lambda: as_role(alpha, Role.OWNER).get("/notifications/templates/notes/sms/en/")
    )
    assert response.status_code == 404


def test_twilio_settings_store_the_token_encrypted_and_keep_it_when_left_empty(alpha: Clinic) -> None:
    client = as_role(alpha, Role.OWNER)
    data = {
        "account_sid": "AC" + "0" * 32,
        "auth_token": "secret-token-1",
        "messaging_service_sid": "MG" + "1" * 32,
        "from_number": "(555) 300-4000",
    }
    assert keeping_schema(lambda: client.post("/notifications/twilio/", data)).status_code == 302
    route = PracticeSmsRoute.objects.get(practice=alpha.practice)
    assert route.from_number == "+15553004000"
    assert "secret-token-1" not in route.auth_token_encrypted
    data["auth_token"] = ""
    keeping_schema(lambda: client.post("/notifications/twilio/", data))
    route.refresh_from_db()
    assert decrypt(route.auth_token_encrypted) == "secret-token-1"
    page = keeping_schema(lambda: client.get("/notifications/twilio/"))
    assert b"secret-token-1" not in page.content


def test_bad_twilio_settings_get_form_errors(alpha: Clinic) -> None:
    client = as_role(alpha, Role.OWNER)
    response = keeping_schema(
        lambda: client.post(
            "/notifications/twilio/", {"account_sid": "nope", "auth_token": "x", "from_number": "12"}
        )
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not PracticeSmsRoute.objects.exists()


def test_another_practice_staff_get_404(alpha: Clinic, practice_b: Practice) -> None:
    outsider = signed_in_client(staff(practice_b, Role.OWNER), practice_b)
    outsider.defaults["HTTP_HOST"] = host_of(alpha.practice)
    assert keeping_schema(lambda: outsider.get("/notifications/settings/")).status_code == 404


def test_removing_a_reminder_and_a_bad_rule_id(alpha: Clinic) -> None:
    client = as_role(alpha, Role.OWNER)
    rule = ReminderRule.objects.create(offset_minutes=600, channel="email")
    for value in ("junk", str(rule.pk)):
        data = {"action": "delete_rule", "rule": value}
        response = keeping_schema(lambda data=data: client.post("/notifications/settings/", data))  # type: ignore[misc]
        assert response.status_code == 302
    assert not ReminderRule.objects.filter(pk=rule.pk).exists()


def test_the_menu_links_follow_the_capabilities(alpha: Clinic) -> None:
    # The menu shows the current area's pages: Reminders under Settings, the log under Messages.
    settings_url = f"http://{host_of(alpha.practice)}/setup/"
    log_url = f"http://{host_of(alpha.practice)}/notifications/log/"

    def page(client: Client, url: str) -> str:
        return str(keeping_schema(lambda: client.get(url)).content.decode())

    manager = as_role(alpha, Role.MANAGER)
    assert 'href="/notifications/settings/">Reminders</a>' in page(manager, settings_url)
    assert 'aria-current="page">Delivery log</a>' in page(manager, log_url)
    desk = as_role(alpha, Role.FRONT_DESK)
    assert 'aria-current="page">Delivery log</a>' in page(desk, log_url)
    desk_settings = page(desk, settings_url)
    assert 'href="/setup/"' in desk_settings and "Reminders</a>" not in desk_settings
