"""The portal in Spanish: a Spanish patient's profile language, or the browser's Accept-Language
before sign-in, or the language switcher; English by default and in the back office."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from notifications.delivery import send_due
from portal.models import PortalAccount
from practica.accounts.roles import Role
from practica.messaging.services import post_staff_reply, start_thread
from practica.patients.models import Patient, PatientProfile
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import Clinic
from tests.portal.conftest import make_account, portal_client
from tests.portal.test_waitlist import offers_for_a_freed_slot

# Spanish pages: one phrase each that only the Spanish catalog can produce.
SPANISH_PAGES = {
    "/portal/": "Próximas citas",
    "/portal/book/": "Tipo de consulta",
    "/portal/profile/": "Idioma preferido",
    "/portal/messages/": "Mensajes con su equipo de atención",
    "/portal/balance/": "Historial de la cuenta",
    "/portal/forms/": "Formularios por completar",
}
ENGLISH_PAGES = {
    "/portal/": "Upcoming appointments",
    "/portal/book/": "Type of visit",
    "/portal/profile/": "Preferred language",
    "/portal/messages/": "Messages with your care team",
    "/portal/balance/": "Account history",
    "/portal/forms/": "Forms to fill in",
}


def spanish_account(email: str = "ana@example.org") -> PortalAccount:
    account = make_account(email, first_name="Ana")
    PatientProfile.objects.create(patient=account.patient, preferred_language="es")
    return account


@pytest.mark.parametrize("path", list(SPANISH_PAGES))
def test_a_spanish_patient_gets_the_portal_in_spanish(
    clinic: Clinic, practice_a: Practice, path: str
) -> None:
    client = portal_client(spanish_account(), practice_a)
    response = client.get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es">' in page
    assert SPANISH_PAGES[path] in page
    assert "Cerrar sesión" in page  # the portal menu too
    assert response["Content-Language"] == "es"


@pytest.mark.parametrize("path", list(ENGLISH_PAGES))
def test_english_stays_the_default(clinic: Clinic, practice_a: Practice, path: str) -> None:
    client = portal_client(make_account("eve@example.org"), practice_a)
    page = client.get(path).content.decode()
    assert '<html lang="en">' in page
    assert ENGLISH_PAGES[path] in page
    assert "Sign out" in page


def test_the_profile_language_wins_over_the_browser(clinic: Clinic, practice_a: Practice) -> None:
    spanish = portal_client(spanish_account(), practice_a)
    assert "Próximas citas" in spanish.get("/portal/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    account = make_account("eve@example.org")
    PatientProfile.objects.create(patient=account.patient, preferred_language="en")
    english = portal_client(account, practice_a)
    assert "Upcoming appointments" in english.get("/portal/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    # No profile yet: the browser decides.
    newcomer = portal_client(make_account("new@example.org"), practice_a)
    assert "Próximas citas" in newcomer.get("/portal/", HTTP_ACCEPT_LANGUAGE="es").content.decode()


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        ("/portal/login/", "Inicio de sesión para pacientes"),
        ("/portal/register/", "Crear una cuenta de paciente"),
        ("/portal/password-reset/", "Restablezca su contraseña"),
    ],
)
def test_before_sign_in_the_browser_language_is_used(practice_a: Practice, path: str, phrase: str) -> None:
    client = Client(HTTP_HOST=host_of(practice_a), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")
    response = client.get(path)
    page = response.content.decode()
    assert '<html lang="es">' in page and phrase in page
    assert "Accept-Language" in response["Vary"]
    # The switcher offers English, named in English and marked as such for screen readers.
    assert 'lang="en">English</button>' in page
    english = Client(HTTP_HOST=host_of(practice_a)).get(path).content.decode()
    assert '<html lang="en">' in english and 'lang="es">Español</button>' in english


def test_spanish_validation_errors_on_registration(practice_a: Practice) -> None:
    client = Client(HTTP_HOST=host_of(practice_a), HTTP_ACCEPT_LANGUAGE="es")
    response = client.post("/portal/register/", {"first_name": "Ana", "date_of_birth": "2999-01-01"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Este campo es requerido." in page  # Django's own Spanish catalog
    complete = {
        "first_name": "Ana",
        "last_name": "Ruiz",
        "email": "ana@example.org",
        "password": "a long portal passphrase 42",
        "password_again": "a long portal passphrase 42",
        "date_of_birth": "2999-01-01",
    }
    page = client.post("/portal/register/", complete).content.decode()
    assert "La fecha de nacimiento no puede ser futura." in page  # ours, from the patient service


def test_registering_in_spanish_keeps_spanish_on_the_profile_and_the_email(
    practice_a: Practice, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = Client(HTTP_HOST=host_of(practice_a), HTTP_ACCEPT_LANGUAGE="es")
    form = {
        "first_name": "Ana",
        "last_name": "Ruiz",
        "date_of_birth": "1990-05-04",
        "email": "ana.ruiz@example.org",
        "password": "una frase de paso bastante larga 7",
        "password_again": "una frase de paso bastante larga 7",
    }
    with django_capture_on_commit_callbacks(execute=True):  # the email is queued on commit
        page = client.post("/portal/register/", form).content.decode()
    assert "Revise su correo electrónico" in page
    with tenant_context(practice_a):
        account = PortalAccount.objects.get(email="ana.ruiz@example.org")
        assert PatientProfile.objects.get(patient=account.patient).preferred_language == "es"
    (sent,) = mail.outbox
    assert sent.subject == "Confirme su correo electrónico"
    assert "Confirme su correo electrónico para el portal de pacientes" in sent.body


def test_the_switcher_sets_the_cookie_for_a_visitor(practice_a: Practice) -> None:
    client = Client(HTTP_HOST=host_of(practice_a))
    response = client.post("/portal/language/", {"language": "es", "next": "/portal/login/"})
    assert response.status_code == 302 and response["Location"] == "/portal/login/"
    assert "Inicio de sesión para pacientes" in client.get("/portal/login/").content.decode()


def test_the_switcher_saves_a_signed_in_patients_choice(clinic: Clinic, practice_a: Practice) -> None:
    account = make_account("eve@example.org")
    client = portal_client(account, practice_a)
    response = client.post("/portal/language/", {"language": "es", "next": "/portal/book/"})
    assert response["Location"] == "/portal/book/"
    assert PatientProfile.objects.get(patient=account.patient).preferred_language == "es"
    assert "Tipo de consulta" in client.get("/portal/book/").content.decode()
    client.post("/portal/language/", {"language": "en", "next": "/portal/"})
    assert PatientProfile.objects.get(patient=account.patient).preferred_language == "en"


def test_the_switcher_refuses_unknown_languages_and_foreign_targets(
    clinic: Clinic, practice_a: Practice
) -> None:
    account = spanish_account()
    client = portal_client(account, practice_a)
    response = client.post("/portal/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response["Location"]
    assert PatientProfile.objects.get(patient=account.patient).preferred_language == "es"
    assert client.get("/portal/language/").status_code == 405


def test_a_portal_session_cannot_change_a_profile_at_another_practice(
    clinic: Clinic, practice_a: Practice, practice_b: Practice
) -> None:
    account = make_account("eve@example.org")
    session_cookie = portal_client(account, practice_a).cookies
    client = Client(HTTP_HOST=host_of(practice_b))
    client.cookies = session_cookie
    response = client.post("/portal/language/", {"language": "es", "next": "/portal/"})
    assert response.status_code == 302
    assert not PatientProfile.objects.filter(patient=account.patient).exists()
    with tenant_context(practice_b):
        assert not PatientProfile.objects.exists()


def test_the_back_office_stays_english(practice_a: Practice) -> None:
    client = signed_in_client(staff(practice_a), practice_a)
    page = client.get("/patients/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="en">' in page
    assert "Este campo" not in page
    login = Client(HTTP_HOST=host_of(practice_a), HTTP_ACCEPT_LANGUAGE="es").get("/login/").content.decode()
    assert '<html lang="en">' in login


def test_booking_confirmation_email_is_in_the_patients_language(
    clinic: Clinic, practice_a: Practice, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = portal_client(spanish_account(), practice_a)
    start = clinic.local(days_ahead=5, hour=10)  # its 72-hour reminder is not due at 9:00 tomorrow
    query = {
        "type": clinic.visit.pk,
        "location": clinic.location.pk,
        "provider": clinic.provider.pk,
        "start": start.isoformat(),
    }
    url = f"/portal/book/confirm/?{urlencode(query)}"
    assert "Confirme su cita" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert mail.outbox == []  # the notification workers send it
    send_due(now=clinic.local(1, 9))
    (sent,) = mail.outbox
    assert sent.subject == "Su cita está reservada"
    assert "Alpha Clinic: su cita está reservada para el " in sent.body
    assert f" a las 10:00 {start.tzname()}, " in sent.body
    appointment_page = client.get(response["Location"]).content.decode()
    assert "Reservada" in appointment_page  # the status, from the model's choices


def test_an_invitation_sent_from_the_english_back_office_speaks_the_patients_language(
    practice_a: Practice, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with tenant_context(practice_a):
        patient = Patient.objects.create(
            first_name="Ina", last_name="Vos", date_of_birth="1960-06-06", email="ina@example.org"
        )
        PatientProfile.objects.create(patient=patient, preferred_language="es")
    front_desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = front_desk.post(f"/portal/staff/invite/{patient.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.subject == "Su invitación al portal de pacientes"
    assert "le invita a su portal de pacientes" in sent.body
    # The staff member's next page is still English.
    page = front_desk.get(response["Location"]).content.decode()
    assert '<html lang="en">' in page


def test_a_waitlist_offer_reaches_each_patient_in_their_language(
    clinic: Clinic, practice_a: Practice, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    spanish, english = spanish_account(), make_account("eve@example.org")
    offers_for_a_freed_slot(clinic, [spanish, english], django_capture_on_commit_callbacks)
    by_address = {tuple(message.to): message for message in mail.outbox}
    offer_es = by_address[("ana@example.org",)]
    assert offer_es.subject == "Hay disponible una cita más próxima"
    zone = clinic.local(4, 11).tzname()
    assert "se liberó una cita en" in offer_es.body and f" a las 11:00 {zone}. " in offer_es.body
    offer_en = by_address[("eve@example.org",)]
    assert offer_en.subject == "An earlier appointment is available"
    assert "an appointment has opened up at" in offer_en.body and f"11:00 AM {zone}" in offer_en.body


def test_a_new_message_email_speaks_the_patients_language(
    clinic: Clinic, practice_a: Practice, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    account = spanish_account()
    thread = start_thread(account.patient, "¿Puedo llevar mis análisis?", None)
    with django_capture_on_commit_callbacks(execute=True):
        post_staff_reply(thread, staff(practice_a), Role.OWNER, "Sí, tráigalos por favor.")
    send_due()
    (sent,) = mail.outbox
    assert sent.subject == "Nuevo mensaje seguro"
    assert "Alpha Clinic: tiene un nuevo mensaje seguro. Inicie sesión para leerlo: " in sent.body
    assert "tráigalos" not in sent.body  # never the message itself


def test_a_messaging_error_is_shown_in_spanish(clinic: Clinic, practice_a: Practice) -> None:
    client = portal_client(spanish_account(), practice_a)
    response = client.post("/portal/messages/new/", {"body": "   "})
    assert response.status_code == 400
    assert "Primero escriba un mensaje." in response.content.decode()


def test_a_missing_portal_page_says_so_in_spanish(clinic: Clinic, practice_a: Practice) -> None:
    client = portal_client(spanish_account(), practice_a)
    response = client.get("/portal/appointments/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "Página no encontrada" in response.content.decode()
