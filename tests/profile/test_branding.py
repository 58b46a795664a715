"""Practice branding: logo and colour set by MANAGE_PRACTICE, shown in that practice's portal only."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from portal.models import PracticeBranding
from practica.accounts.roles import Role
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import Clinic
from tests.profile.conftest import PDF_BYTES, PNG_BYTES


def test_owner_sets_logo_and_colour_and_portal_uses_them(
    clinic: Clinic, practice_a: Practice, practice_b: Practice
) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    logo = SimpleUploadedFile("logo.png", PNG_BYTES, content_type="image/png")
    response = owner.post("/portal/staff/branding/", {"primary_colour": "#AA3300", "logo": logo})
    assert response.status_code == 302
    portal = Client(HTTP_HOST=host_of(practice_a))
    login = portal.get("/portal/login/").content.decode()
    assert "/portal/brand/theme.css" in login
    css = portal.get("/portal/brand/theme.css")
    assert css["Content-Type"] == "text/css"
    assert "#aa3300" in css.content.decode() and 'url("/portal/brand/logo/")' in css.content.decode()
    served = portal.get("/portal/brand/logo/")
    assert served.status_code == 200 and served.content == PNG_BYTES and served["Content-Type"] == "image/png"
    # Practice B's portal has neither.
    with tenant_context(practice_b):
        other = Client(HTTP_HOST=host_of(practice_b))
        assert other.get("/portal/brand/logo/").status_code == 404
        other_css = other.get("/portal/brand/theme.css").content.decode()
        assert "#aa3300" not in other_css and "/portal/brand/logo/" not in other_css


def test_bad_branding_input_and_roles(clinic: Clinic, practice_a: Practice) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    response = owner.post("/portal/staff/branding/", {"primary_colour": "red; } body { x"})
    assert response.status_code == 400 and "primary_colour" in response.context["form"].errors
    # Too light for the portal's white button text.
    response = owner.post("/portal/staff/branding/", {"primary_colour": "#ffd966"})
    assert response.status_code == 400 and "too light" in response.content.decode()
    pdf = SimpleUploadedFile("logo.png", PDF_BYTES, content_type="image/png")
    response = owner.post("/portal/staff/branding/", {"primary_colour": "#112233", "logo": pdf})
    assert response.status_code == 400
    assert "The logo must be a PNG or JPEG image." in response.content.decode()
    junk = SimpleUploadedFile("logo.png", b"GIF89a....", content_type="image/png")
    response = owner.post("/portal/staff/branding/", {"primary_colour": "#112233", "logo": junk})
    assert response.status_code == 400
    assert not PracticeBranding.objects.exists()
    manager = signed_in_client(staff(practice_a, Role.MANAGER), practice_a)
    assert manager.get("/portal/staff/branding/").status_code == 403
    assert manager.post("/portal/staff/branding/", {"primary_colour": "#112233"}).status_code == 403
    assert not PracticeBranding.objects.exists()
