"""The portal's public pages in a Spanish-speaking browser: Spanish, marked lang="es", accessible
by axe-core, and the language switcher brings English back."""

from typing import Any

import pytest

from tests.e2e.conftest import Server, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def test_a_spanish_browser_gets_the_portal_in_spanish_and_can_switch_to_english(
    server: Server, new_context: Any
) -> None:
    page = new_context(locale="es-MX").new_page()
    for path, heading in [
        ("/portal/register/", "Crear una cuenta de paciente"),
        ("/portal/password-reset/", "Restablezca su contraseña"),
        ("/portal/login/", "Inicio de sesión para pacientes"),
    ]:
        page.goto(f"{server.base_url}{path}")
        page.get_by_role("heading", level=1, name=heading).wait_for()
        assert page.get_attribute("html", "lang") == "es"
        assert_accessible(page)
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", level=1, name="Patient sign in").wait_for()
    assert page.get_attribute("html", "lang") == "en"
    assert page.url.endswith("/portal/login/")
    assert_accessible(page)
