"""Inbound SMS replies in Spanish, through the signed Twilio webhook: the Spanish keywords act like
the English ones whatever their case and accents, and the reply speaks the patient's language."""

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone

from notifications.inbound import CANCEL, CONFIRM, HELP, OPT_IN, OPT_OUT, RESCHEDULE, keyword
from notifications.models import InboundMessage, SmsOptOut
from notifications.policy import current_policy
from practica.patients.models import PatientProfile
from practica.scheduling.models import Appointment, SchedulingPolicy
from tests.factories import Clinic
from tests.notifications.conftest import local
from tests.notifications.test_webhooks import INBOUND_URL, PATIENT_PHONE, post_signed, routed, text

__all__ = ["routed"]  # the fixture, shared with the English webhook tests

# Twilio's own default keywords (it blocks or answers these itself); a Spanish word among them
# would be acted on twice, or opt a patient out who meant something else.
TWILIO_DEFAULT_KEYWORDS = {
    *("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
    *("START", "YES", "UNSTOP"),
    *("HELP", "INFO"),
}
SPANISH_WORDS = {"SI", "CONFIRMAR", "CANCELAR", "CAMBIAR", "REPROGRAMAR", "PARAR", "ALTO", "BAJA", "AYUDA"}


def speaks(setup: Clinic, language: str) -> None:
    PatientProfile.objects.update_or_create(patient=setup.patient, defaults={"preferred_language": language})


def reply(body: str) -> str:
    return post_signed(INBOUND_URL, text(body)).content.decode()  # type: ignore[attr-defined]


def test_spanish_keywords_are_not_twilio_defaults_and_do_not_overlap() -> None:
    assert not SPANISH_WORDS & TWILIO_DEFAULT_KEYWORDS
    groups = [OPT_OUT, OPT_IN, HELP, CONFIRM, CANCEL, RESCHEDULE]
    assert all(not a & b for i, a in enumerate(groups) for b in groups[i + 1 :])
    assert set().union(*groups) >= SPANISH_WORDS


@pytest.mark.parametrize(
    ("body", "word"),
    [("Sí", "SI"), ("¡SÍ!", "SI"), ("si.", "SI"), ("  Confirmar ", "CONFIRMAR"), ("cancelár", "CANCELAR")],
)
def test_case_accents_and_punctuation_do_not_matter(body: str, word: str) -> None:
    assert keyword(body) == word


@pytest.mark.parametrize("body", ["sí", "SI", "Sí!", "confirmar"])
def test_si_and_confirmar_confirm_with_a_spanish_reply(routed: Clinic, body: str) -> None:
    speaks(routed, "es")
    appointment = routed.book(local(3, 14))
    answer = reply(body)
    assert "gracias, su cita del" in answer and "está confirmada" in answer
    assert " a las 14:00 " in answer  # the Spanish reminders' 24-hour clock
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert InboundMessage.objects.get().handling == InboundMessage.Handling.CONFIRMED


def test_cancelar_cancels_with_a_spanish_reply(
    routed: Clinic, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    speaks(routed, "es")
    appointment = routed.book(local(3, 14))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        answer = reply("Cancelar")
    assert "está cancelada" in answer
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED_BY_PATIENT
    assert not SmsOptOut.objects.exists()  # unlike Twilio's CANCEL, never an opt-out


def test_a_refused_late_cancel_is_explained_in_spanish(routed: Clinic) -> None:
    speaks(routed, "es")
    SchedulingPolicy.objects.update_or_create(singleton=True, defaults={"cancel_cutoff_hours": 24})
    appointment = routed.book(timezone.now() + datetime.timedelta(hours=5))
    assert "Llame al consultorio" in reply("CANCELAR")
    appointment.refresh_from_db()
    assert appointment.is_active


@pytest.mark.parametrize("body", ["cambiar", "REPROGRAMAR"])
def test_cambiar_and_reprogramar_send_the_reschedule_link(routed: Clinic, body: str) -> None:
    speaks(routed, "es")
    appointment = routed.book(local(3, 14))
    answer = reply(body)
    assert "para elegir un nuevo horario para su cita del" in answer
    assert f"/portal/appointments/{appointment.pk}/reschedule/" in answer


@pytest.mark.parametrize("body", ["PARAR", "alto", "Baja."])
def test_parar_alto_baja_opt_out_and_start_opts_back_in(routed: Clinic, body: str) -> None:
    speaks(routed, "es")
    assert "ya no le enviaremos mensajes de texto" in reply(body)
    assert SmsOptOut.objects.filter(phone=PATIENT_PHONE).exists()
    assert "volverá a recibir" in reply("START")
    assert not SmsOptOut.objects.filter(phone=PATIENT_PHONE).exists()


def test_ayuda_answers_in_spanish_with_the_practice_contact(routed: Clinic) -> None:
    policy = current_policy()
    policy.contact_phone = "(555) 010-2000"
    policy.save()
    answer = reply("Ayuda")  # no profile: a Spanish word gets a Spanish answer
    assert "si necesita ayuda, llame al (555) 010-2000" in answer


def test_an_english_keyword_from_a_spanish_patient_is_answered_in_spanish(routed: Clinic) -> None:
    speaks(routed, "es")
    routed.book(local(3, 14))
    assert "está confirmada" in reply("C")


def test_a_spanish_keyword_from_an_english_patient_acts_and_is_answered_in_english(routed: Clinic) -> None:
    speaks(routed, "en")
    appointment = routed.book(local(3, 14))
    answer = reply("Sí")
    assert "is confirmed" in answer and "your appointment on" in answer
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED


def test_an_unknown_number_writing_in_spanish_is_answered_in_spanish(routed: Clinic) -> None:
    answer = post_signed(INBOUND_URL, text("confirmar", From="+15559990000")).content.decode()  # type: ignore[attr-defined]
    assert "no encontramos ninguna cita próxima para este número" in answer


def test_the_practice_default_language_answers_a_patient_without_a_profile(routed: Clinic) -> None:
    policy = current_policy()
    policy.default_language = "es"
    policy.save()
    routed.book(local(3, 14))
    routed.book(local(4, 14))
    assert "tiene más de una cita próxima" in reply("C")
