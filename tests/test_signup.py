"""Online signup on the public site: the happy path ends with the owner signed in on the new
subdomain looking at the first-run checklist; every error is a clear form error and creates nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_exists

from practica.accounts.models import Membership, User
from practica.accounts.roles import Role
from tenants.models import Domain, Plan, Practice
from tests.conftest import PUBLIC_HOST
from tests.factories import UserFactory

GOOD = {
    "practice_name": "Cedar Family Medicine",
    "subdomain": "cedar-family",
    "owner_name": "Imogen Cedar",
    "email": "imogen@cedar.example",
    "password": "plum-orchard-harvest-42",
}


def form_data(**changes: str) -> dict[str, Any]:
    return {**GOOD, "plan": str(Plan.objects.get(code="group").pk), **changes}


def counts() -> tuple[int, int, int, int]:
    return (
        Practice.objects.count(),
        Domain.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )


def test_signup_form_is_offered(db: None) -> None:
    response = Client(HTTP_HOST=PUBLIC_HOST).get("/signup/?plan=group")
    assert response.status_code == 200
    for name in ("practice_name", "subdomain", "owner_name", "email", "password"):
        assert f'name="{name}"'.encode() in response.content


def test_signup_creates_the_practice_and_signs_the_owner_in_on_its_subdomain(db: None) -> None:
    public = Client(HTTP_HOST=PUBLIC_HOST)
    response = public.post("/signup/", form_data(subdomain="Cedar-Family "))

    practice = Practice.objects.get(slug="cedar-family")
    assert practice.name == "Cedar Family Medicine"
    assert practice.status == Practice.Status.TRIAL
    assert practice.plan is not None and practice.plan.code == "group"
    assert practice.schema_name == "p_cedar_family"
    assert schema_exists("p_cedar_family")
    host = f"cedar-family.{settings.BASE_DOMAIN}"
    assert Domain.objects.get(tenant=practice).domain == host
    owner = User.objects.get(email="imogen@cedar.example")
    assert owner.full_name == "Imogen Cedar"
    assert owner.check_password(GOOD["password"])
    assert owner.password.startswith("argon2")
    assert Membership.objects.get(user=owner, practice=practice).role == Role.OWNER

    # The browser is sent to the new subdomain with a one-time hand-off link...
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.hostname == host
    assert target.path == "/handoff/"
    practice_client = Client(HTTP_HOST=host)
    arrived = practice_client.get(f"{target.path}?{target.query}")
    assert arrived.status_code == 302 and arrived["Location"] == "/"

    # ...and lands signed in, on the first-run checklist.
    home = practice_client.get("/")
    assert home.status_code == 200
    page = home.content.decode()
    assert "Welcome, Imogen Cedar" in page
    assert "Get Cedar Family Medicine ready" in page
    for step, url in (
        ("Add a location", "/setup/locations/new/"),
        ("Add your providers", "/setup/providers/new/"),
        ("Invite your staff", "/staff/"),
    ):
        assert f'<a href="{url}">{step}</a>' in page

    # The hand-off link works once only.
    replay = Client(HTTP_HOST=host).get(f"{target.path}?{target.query}")
    assert replay.status_code == 302 and replay["Location"].startswith("/login/")


def test_checklist_ticks_off_steps_and_goes_away_when_done(practice_a: Practice) -> None:
    from practica.core.tenancy import use_public_schema, use_schema_of
    from tests.conftest import signed_in_client, staff
    from tests.factories import LocationFactory, ProviderFactory

    client = signed_in_client(staff(practice_a), practice_a)
    use_schema_of(practice_a)
    LocationFactory.create()
    use_public_schema()
    page = client.get("/").content.decode()
    assert "✓ Add a location" in page and '<a href="/setup/providers/new/">' in page
    use_schema_of(practice_a)
    ProviderFactory.create()
    use_public_schema()
    staff(practice_a, Role.FRONT_DESK)
    assert b"ready</h2>" not in client.get("/").content


def test_the_handoff_is_refused_on_another_practice(db: None, practice_b: Practice) -> None:
    public = Client(HTTP_HOST=PUBLIC_HOST)
    response = public.post("/signup/", form_data())
    target = urlsplit(response["Location"])
    elsewhere = Client(HTTP_HOST=f"{practice_b.slug}.{settings.BASE_DOMAIN}")
    arrived = elsewhere.get(f"{target.path}?{target.query}")
    assert arrived.status_code == 302 and arrived["Location"].startswith("/login/")
    assert elsewhere.get("/patients/").status_code == 302  # still anonymous there


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subdomain": "alpha"}, "subdomain", "This subdomain is taken"),
        ({"subdomain": "ALPHA"}, "subdomain", "This subdomain is taken"),
        ({"subdomain": "my practice!"}, "subdomain", "Use 3 to 40 lowercase letters"),
        ({"subdomain": "-cedar"}, "subdomain", "Use 3 to 40 lowercase letters"),
        ({"subdomain": "ab"}, "subdomain", "Use 3 to 40 lowercase letters"),
        ({"subdomain": "a" * 41}, "subdomain", "Ensure this value has at most 40 characters"),
        ({"subdomain": "ce--dar"}, "subdomain", "Two hyphens in a row"),
        ({"subdomain": "www"}, "subdomain", "This subdomain is reserved"),
        ({"subdomain": "api"}, "subdomain", "This subdomain is reserved"),
        ({"subdomain": "template"}, "subdomain", "This subdomain is reserved"),
        ({"subdomain": "localhost"}, "subdomain", "This subdomain is reserved"),
        ({"subdomain": "LocalHost"}, "subdomain", "This subdomain is reserved"),
        ({"subdomain": "admin"}, "subdomain", "This subdomain is reserved"),
        ({"subdomain": "mail"}, "subdomain", "This subdomain is reserved"),
        ({"subdomain": "postmaster"}, "subdomain", "This subdomain is reserved"),
        ({"password": "short1"}, "password", "This password is too short"),
        ({"password": "password123"}, "password", "This password is too common"),
        ({"password": "83749201938"}, "password", "This password is entirely numeric"),
        ({"password": "imogen@cedar.example"}, "password", "too similar"),
        ({"email": "taken@example.com"}, "email", "An account with this email already exists"),
        ({"email": "TAKEN@example.com"}, "email", "An account with this email already exists"),
        ({"email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"practice_name": ""}, "practice_name", "This field is required"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_signup_errors_are_clear_and_create_nothing(
    db: None, changes: dict[str, str], field: str, message: str
) -> None:
    UserFactory.create(email="taken@example.com")
    before = counts()
    response = Client(HTTP_HOST=PUBLIC_HOST).post("/signup/", form_data(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert message in " ".join(errors[field])
    assert message.encode() in response.content or message.replace("'", "&#x27;").encode() in response.content
    assert counts() == before
    assert not schema_exists("p_cedar_family")


def test_service_rechecks_uniqueness_for_a_racing_signup(db: None, practice_a: Practice) -> None:
    from tenants.services import SignupError, sign_up_practice

    before = counts()
    with pytest.raises(SignupError) as raised:
        sign_up_practice(
            practice_name="Racer",
            slug="alpha",
            owner_name="R",
            email="racer@example.com",
            password=GOOD["password"],
            plan=None,
        )
    assert raised.value.field == "subdomain"
    assert counts() == before


def _form_action(environment: dict[str, str]) -> list[str]:
    """The form-action sources of the settings module as loaded with `environment` alone (the
    policy is built when the settings load, so overriding settings in this process cannot show it)."""
    root = Path(__file__).resolve().parents[1]
    program = (
        "import json; from practica import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{root / 'platform'}:{root}", **environment}
    result = subprocess.run(  # noqa: S603  (our interpreter, a fixed program)
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def _default_port(scheme: str) -> int:
    return {"http": 80, "https": 443}[scheme]


def allowed_by(sources: list[str], page: str, target: str) -> bool:
    """Whether a CSP source list allows `target` from a page at `page` (CSP 3's URL matching, for
    'self' and host sources: a source without a port allows the scheme's default port only)."""
    page_url, url = urlsplit(page), urlsplit(target)
    page_port = page_url.port or _default_port(page_url.scheme)
    port = url.port or _default_port(url.scheme)
    for source in sources:
        if source == "'self'":
            if (url.scheme, url.hostname, port) == (page_url.scheme, page_url.hostname, page_port):
                return True
            continue
        scheme, _, rest = source.rpartition("://")
        host, _, source_port = rest.partition(":")
        # No scheme: the page's; http allows https too.
        scheme = scheme or page_url.scheme
        scheme_ok = url.scheme == scheme or (scheme == "http" and url.scheme == "https")
        host_ok = (url.hostname or "").endswith(host[1:]) if host.startswith("*.") else url.hostname == host
        wanted = source_port or str(_default_port(url.scheme))
        port_ok = wanted == "*" or int(wanted) == port
        if scheme_ok and host_ok and port_ok:
            return True
    return False


@pytest.mark.parametrize(
    ("environment", "public", "practice"),
    [
        # bin/run's demo: links carry the port.
        (
            {"DEBUG": "true", "BASE_DOMAIN": "localhost", "PUBLIC_SCHEME": "http", "PUBLIC_PORT": ":8000"},
            "http://localhost:8000",
            "http://cedar.localhost:8000",
        ),
        # Production: https on the default port.
        (
            {"SECRET_KEY": "x" * 50, "BASE_DOMAIN": "example.com"},
            "https://example.com",
            "https://cedar.example.com",
        ),
    ],
    ids=["demo", "production"],
)
def test_the_signup_form_may_lead_to_the_new_practice_host(
    environment: dict[str, str], public: str, practice: str
) -> None:
    """Chromium checks form-action on a form's redirects: the signup form's hand-off to the new
    practice's host (and the staff sign-in's) must be allowed, or the browser stays on the form."""
    sources = _form_action(environment)
    assert allowed_by(sources, f"{public}/signup/", f"{practice}/handoff/?t=token")
    assert allowed_by(sources, f"{public}/signup/", f"{public}/go/cedar/")
    assert allowed_by(sources, f"{public}/signup/", "https://checkout.stripe.com/c/pay/cs_test_1")
    # ...and nowhere else: another port, another domain.
    other_port = urlsplit(practice)._replace(netloc=f"{urlsplit(practice).hostname}:9999").geturl()
    assert not allowed_by(sources, f"{public}/signup/", f"{other_port}/handoff/")
    assert not allowed_by(sources, f"{public}/signup/", "https://cedar.example.org/handoff/")
