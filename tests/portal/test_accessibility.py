"""Markup checks on every portal form page: each control has a label, pages have one h1 and a
named navigation, and nothing inline that the CSP would block."""

import re

import pytest
from django.test import Client

from tenants.models import Practice
from tests.conftest import host_of
from tests.factories import Clinic
from tests.portal.conftest import make_account, portal_client

CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>")


def check_page(html: str) -> None:
    assert len(re.findall(r"<h1\b", html)) == 1
    assert 'aria-label="Patient portal"' in html
    assert "style=" not in html and "<style" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script
    for _tag, attrs in CONTROL.findall(html):
        if 'type="hidden"' in attrs:
            continue
        control_id = re.search(r'\sid="([^"]+)"', attrs)  # not aria-invalid=
        assert control_id, attrs
        assert f'<label for="{control_id.group(1)}"' in html, control_id.group(1)


@pytest.mark.parametrize("path", ["/portal/login/", "/portal/register/", "/portal/password-reset/"])
def test_public_portal_pages(practice_a: Practice, path: str) -> None:
    response = Client(HTTP_HOST=host_of(practice_a)).get(path)
    assert response.status_code == 200
    check_page(response.content.decode())


def test_signed_in_portal_pages(clinic: Clinic, practice_a: Practice) -> None:
    client = portal_client(make_account("a11y@example.org"), practice_a)
    for path in ("/portal/", "/portal/book/", "/portal/waitlist/"):
        response = client.get(path)
        assert response.status_code == 200, path
        check_page(response.content.decode())
    html = client.get("/portal/book/").content.decode()
    assert '<label for="id_appointment_type">Type of visit</label>' in html
