"""The Spanish portal is complete: every string the portal's templates mark for translation has a
Spanish translation in the compiled catalog (a fuzzy or missing entry would show English), every
portal page marks its text at all, and the pages that once fell back to English (two-factor, the
sign-in code, phone verification, recovery codes) read in Spanish."""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.template import engines
from django.utils import translation
from django.utils.translation.template import templatize
from django.utils.translation.trans_real import translation as catalog_for
from django_tenants.utils import tenant_context

from portal import two_factor
from portal.models import PortalAccount
from practica.patients.models import PatientProfile
from tenants.models import Practice
from tests.portal.conftest import make_account, portal_client
from tests.portal.test_two_factor import app_code

ROOT = Path(__file__).resolve().parents[2]
CALL = re.compile(r"\b(n?p?gettext)\(")


def portal_templates() -> list[Path]:
    """What patients see: the portal's pages (not the staff pages kept beside them, which extend
    the back office's base) and emails, and the intake pages of the portal."""
    found = []
    for path in sorted((ROOT / "portal/templates/portal").rglob("*")):
        if path.suffix in {".html", ".txt"} and '{% extends "base.html" %}' not in path.read_text():
            found.append(path)
    return found + sorted((ROOT / "platform/templates/intake").glob("portal_*.html"))


def _calls(source: str) -> list[ast.Call]:
    """The gettext calls of a template as makemessages sees them (Django's templatize)."""
    code, calls = templatize(source), []
    for match in CALL.finditer(code):
        end = match.end()
        while (end := code.find(")", end) + 1) > 0:
            try:
                node = ast.parse(code[match.start() : end], mode="eval").body
            except SyntaxError:
                continue
            assert isinstance(node, ast.Call)
            calls.append(node)
            break
    return calls


def _catalog_keys(call: ast.Call) -> list[object]:
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    texts = [arg.value for arg in call.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    if name == "gettext":
        return [texts[0]]
    if name == "pgettext":
        return [f"{texts[0]}\x04{texts[1]}"]
    if name == "ngettext":
        return [(texts[0], 0), (texts[0], 1)]
    return [(f"{texts[0]}\x04{texts[1]}", 0), (f"{texts[0]}\x04{texts[1]}", 1)]  # npgettext


def test_the_check_finds_the_portals_strings() -> None:
    calls = [call for path in portal_templates() for call in _calls(path.read_text())]
    assert len(calls) > 200
    keys = {key for call in calls for key in _catalog_keys(call)}
    assert "Enter your sign-in code" in keys and "Two-factor sign-in" in keys


@pytest.mark.parametrize("path", portal_templates(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_string_of_the_portal_has_a_spanish_translation(path: Path) -> None:
    catalog = catalog_for("es")._catalog  # type: ignore[attr-defined]
    missing = [
        key for call in _calls(path.read_text()) for key in _catalog_keys(call) if not catalog.get(key)
    ]
    assert not missing, f"{path.name}: no Spanish (missing or fuzzy in django.po) for {missing}"


@pytest.mark.parametrize("path", portal_templates(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_portal_page_marks_its_text_for_translation(path: Path) -> None:
    source = path.read_text()
    if path.name.startswith("_") and "{%" not in source:
        pytest.skip("a fragment without text")
    assert re.search(r"{% load [^%]*\bi18n\b", source), f"{path.name} does not load i18n: English"
    engines["django"].from_string(source)  # and it is a valid template


# English that the pages showed to patients who had chosen Spanish.
ENGLISH = [
    "Two-factor sign-in",
    "Turn on",
    "Enter your sign-in code",
    "Your phone number",
    "Text me a code",
    "Your recovery codes",
    "Back to my details",
    "Code from the text message",
    "6-digit code from your app",
]


@pytest.fixture
def spanish_patient(practice_a: Practice) -> Iterator[PortalAccount]:
    with tenant_context(practice_a):
        account = make_account("sofia@example.org", first_name="Sofía", phone="+15125550123")
        PatientProfile.objects.create(patient=account.patient, preferred_language="es")
        yield account


def _spanish_page(client: object, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="es")  # type: ignore[attr-defined]
    assert response.status_code == 200, url
    return response.content.decode()


def test_two_factor_phone_and_recovery_pages_read_in_spanish(
    practice_a: Practice, spanish_patient: PortalAccount
) -> None:
    client = portal_client(spanish_patient, practice_a)
    pages = {
        "/portal/profile/security/": "Activar el inicio de sesión en dos pasos",
        "/portal/profile/phone/": "Enviarme un código por SMS",
    }
    for url, spanish in pages.items():
        page = _spanish_page(client, url)
        assert spanish in page, url
        for english in ENGLISH:
            assert f">{english}<" not in page and f"{english}</" not in page, f"{url}: {english!r}"

    # Turned on: the recovery codes, then the security page with two-factor on.
    code = app_code(two_factor.pending_device(spanish_patient))
    response = client.post("/portal/profile/security/", {"code": code}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200, response.content[:300]
    page = response.content.decode()
    assert "Sus códigos de recuperación" in page and "Ya guardé mis códigos" in page
    page = _spanish_page(client, "/portal/profile/security/")
    assert "El inicio de sesión en dos pasos está activado" in page
    with translation.override("es"):
        wrong = client.post("/portal/profile/security/off/", {"password_or_code": "nope"})
    assert "Eso no es ni su contraseña ni un código válido." in wrong.content.decode()
