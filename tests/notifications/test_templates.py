"""Templates use allowed placeholders only; messages never carry clinical detail."""

import pytest
from django.core.exceptions import ValidationError

from notifications.content import compose
from notifications.models import Channel, Kind, Language, MessageTemplate, Notification
from notifications.policy import current_policy
from notifications.services import preview, save_template
from notifications.templating import asks_to_reply_cancel, default_wording
from practica.patients.models import PatientProfile
from tests.factories import Clinic
from tests.notifications.conftest import local


def template(**fields: str) -> MessageTemplate:
    values: dict[str, str] = {"kind": Kind.REMINDER, "channel": Channel.SMS, "language": Language.ENGLISH}
    values.update(fields)
    return MessageTemplate(**values)


def test_a_template_with_allowed_placeholders_saves(alpha: Clinic) -> None:
    saved = save_template(template(body_text="{practice_name}: see you {date} at {time}. {link}"))
    assert MessageTemplate.objects.get(pk=saved.pk).body_text.startswith("{practice_name}")


@pytest.mark.parametrize("body", ["Re: {notes}", "{patient.diagnosis}", "Hi {{practice_name}}", "Bye {date"])
def test_unknown_placeholders_and_stray_braces_are_refused_with_a_clear_error(
    alpha: Clinic, body: str
) -> None:
    with pytest.raises(ValidationError) as error:
        save_template(template(body_text=body))
    messages = error.value.message_dict["body_text"]
    assert any("Allowed placeholders: {practice_name}" in m for m in messages)
    assert not MessageTemplate.objects.exists()


def test_the_type_name_placeholder_needs_a_type_marked_safe(alpha: Clinic) -> None:
    with pytest.raises(ValidationError, match="marked as safe"):
        save_template(template(body_text="Your {appointment_type} is on {date}"))
    current_policy().safe_type_names.add(alpha.visit)
    save_template(template(body_text="Your {appointment_type} is on {date}"))


def test_html_parts_are_checked_too_and_values_are_escaped(alpha: Clinic) -> None:
    with pytest.raises(ValidationError) as error:
        save_template(template(channel=Channel.EMAIL, body_text="ok", body_html="<p>{reason}</p>"))
    assert "body_html" in error.value.message_dict
    shown = preview(
        template(
            channel=Channel.EMAIL, subject="{practice_name}", body_text="{time}", body_html="<b>{date}</b>"
        )
    )
    assert shown.subject == "Riverside Family Medicine"
    assert shown.html == "<b>Tuesday 3 March</b>"


def test_preview_fills_sample_data(alpha: Clinic) -> None:
    shown = preview(template(body_text="{practice_name} {date} {time} {location} {link}"))
    assert shown.text == (
        "Riverside Family Medicine Tuesday 3 March 9:30 AM Main Street Clinic, 12 Main Street "
        "https://riverside.example.com/a/sample"
    )


def test_no_clinical_detail_in_any_default_message(alpha: Clinic) -> None:
    appointment = alpha.book(local(5, 15))
    appointment.cancellation_reason = "Insulin dose review"
    for notification in Notification.objects.filter(appointment=appointment):
        message = compose(notification)
        for part in (message.subject, message.text, message.html):
            assert "Diabetes" not in part
            assert "Insulin" not in part
        assert "Alpha Clinic" in message.text


def test_the_type_name_shows_only_for_safe_types(alpha: Clinic) -> None:
    save_template(template(body_text="x"))  # unrelated template: defaults still used for others
    current_policy().safe_type_names.add(alpha.visit)
    MessageTemplate.objects.create(
        kind=Kind.CONFIRMATION, channel=Channel.SMS, language="en", body_text="{appointment_type}!"
    )
    appointment = alpha.book(local(5, 15))
    confirmation = appointment.notifications.get(kind=Kind.CONFIRMATION, channel=Channel.SMS)
    assert compose(confirmation).text == "Diabetes follow-up!"
    current_policy().safe_type_names.clear()
    assert compose(confirmation).text == "appointment!"


def test_spanish_patients_get_the_spanish_wording(alpha: Clinic) -> None:
    PatientProfile.objects.create(patient=alpha.patient, preferred_language=Language.SPANISH)
    appointment = alpha.book(local(5, 15))
    confirmation = appointment.notifications.get(kind=Kind.CONFIRMATION, channel=Channel.SMS)
    text = compose(confirmation).text
    assert "su cita está reservada" in text
    assert "15:00" in text


def test_english_patients_get_the_english_wording_even_when_the_practice_default_is_spanish(
    alpha: Clinic,
) -> None:
    policy = current_policy()
    policy.default_language = Language.SPANISH
    policy.save()
    PatientProfile.objects.create(patient=alpha.patient, preferred_language=Language.ENGLISH)
    appointment = alpha.book(local(5, 15))
    confirmation = appointment.notifications.get(kind=Kind.CONFIRMATION, channel=Channel.SMS)
    text = compose(confirmation).text
    assert "your appointment is booked" in text
    assert "3:00 PM" in text


def test_without_a_profile_the_practice_default_language_is_used(alpha: Clinic) -> None:
    policy = current_policy()
    policy.default_language = Language.SPANISH
    policy.save()
    appointment = alpha.book(local(5, 15))
    confirmation = appointment.notifications.get(kind=Kind.CONFIRMATION, channel=Channel.SMS)
    assert "su cita está reservada" in compose(confirmation).text


def test_the_link_is_the_portal_page_of_that_appointment(alpha: Clinic) -> None:
    MessageTemplate.objects.create(
        kind=Kind.CONFIRMATION, channel=Channel.SMS, language="en", body_text="{link}"
    )
    appointment = alpha.book(local(5, 15))
    confirmation = appointment.notifications.get(kind=Kind.CONFIRMATION, channel=Channel.SMS)
    assert compose(confirmation).text == f"https://alpha.practica.test/portal/appointments/{appointment.pk}/"


def test_a_cancellation_links_to_booking_again(alpha: Clinic) -> None:
    MessageTemplate.objects.create(
        kind=Kind.CANCELLED, channel=Channel.SMS, language="en", body_text="{link}"
    )
    appointment = alpha.book(local(5, 15))
    notice = Notification(appointment=appointment, kind=Kind.CANCELLED, channel=Channel.SMS)
    assert compose(notice).text == "https://alpha.practica.test/portal/book/"


@pytest.mark.parametrize("language", ["en", "es"])
def test_default_reminders_ask_for_x_to_cancel_never_twilios_opt_out_word(language: str) -> None:
    _, text, _ = default_wording(Kind.REMINDER, Channel.SMS, language)
    assert " X " in text
    assert not asks_to_reply_cancel(text)


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Reply CANCEL to cancel.", True),
        ('Reply "cancel" to cancel.', True),
        ("Reply C to confirm, X to cancel.", False),
        ("Your visit is cancelled.", False),
    ],
)
def test_wording_that_asks_for_cancel_is_recognised(text: str, asks: bool) -> None:
    assert asks_to_reply_cancel(text) is asks
