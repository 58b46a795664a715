"""End-to-end journeys in a real headless Chromium against a real ASGI server (daphne).

pytest-django's `live_server` flushes every table when it ends, which would wipe the session-wide
practices of tests/conftest.py. Instead a session fixture commits a practice of its own ("e2e") to
the test database and starts daphne on it in a subprocess.
The browser reaches `<slug>.practica.test` and the public site `practica.test` through Chromium's
host resolver rules, so the tenant is resolved from the Host header as in production.

The server's Celery tasks run inline (CELERY_TASK_ALWAYS_EAGER, as in every test), after the commit
of the request that queued them. Stripe is the fake of tests/billing/fake_stripe.py, served from
this process: the server calls its API, the browser pays on its hosted Checkout page, and it posts
signed webhooks to the server's public host, as Stripe does."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings
from django_tenants.utils import tenant_context

from notifications.routing.models import PracticeDueWork
from practica.accounts.models import Membership
from practica.accounts.roles import Role
from practica.intake import services as intake_services
from practica.intake.models import IntakeItem
from practica.patient_billing.webhooks import CONNECT_EVENTS, PLATFORM_EVENTS
from tenants.models import Plan, Practice
from tenants.services import provision_practice
from tests.billing.fake_stripe import FakeStripe, start_fake_stripe
from tests.conftest import PUBLIC_HOST
from tests.factories import PASSWORD, UserFactory, make_clinic

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SLUG = "e2e"
ZONE = "America/Chicago"
CONSENT_BODY = "I agree that the practice may treat me."


def axe_script() -> Path:
    given = os.environ.get("PRACTICA_AXE_JS")
    cached = sorted((ROOT / ".local").glob("axe-core-*/axe.min.js"))
    found = Path(given) if given else (cached[-1] if cached else None)
    if found is None or not found.is_file() or not Path(CHROMIUM).is_file():
        pytest.fail("The browser tests need Chromium and axe-core: bin/test installs both.")
    return found


@dataclass
class Site:
    practice: Practice
    staff_email: str
    visit_type: str
    provider_name: str


@dataclass
class Server:
    base_url: str  # the e2e practice's host
    mail_dir: Path
    log: Path
    public_url: str  # the public site (signup, the staff's sign-in for every practice)

    def emails_to(self, address: str) -> list[str]:
        """Bodies of the emails the server sent to `address` (file backend, one file per connection)."""
        found = []
        for path in sorted(self.mail_dir.iterdir(), key=lambda p: p.stat().st_mtime):
            for message in path.read_text().split("-" * 79):
                if re.search(rf"^To: {re.escape(address)}$", message, re.MULTILINE):
                    found.append(message)
        return found


def _set_up_practice() -> Site:
    practice = provision_practice(
        name="End to End Clinic", slug=SLUG, plan=Plan.objects.get(code="group"), time_zone=ZONE
    )
    staff = UserFactory.create(email="frontdesk@e2e.example", full_name="Fran Desk")
    Membership.objects.create(user=staff, practice=practice, role=Role.FRONT_DESK)
    with tenant_context(practice):
        clinic = make_clinic(
            practice,
            zone=ZONE,
            location={"name": "Main clinic", "address_line1": "1 Main St"},
            provider={"display_name": "Dr Ada Lane"},
            hours=(8, 18),
            weekdays=range(7),
            visit={"name": "General check-up"},
        )
        packet = intake_services.packet_for_type(clinic.visit)
        kind = IntakeItem.FieldType
        intake_services.add_question(packet, label="Allergies", field_type=kind.SHORT_TEXT)
        intake_services.add_question(packet, label="Do you smoke?", field_type=kind.YES_NO)
        intake_services.add_consent(packet, label="Consent to treatment", body=CONSENT_BODY)
        intake_services.add_document_request(packet, document_kind=IntakeItem.DocumentKind.INSURANCE_FRONT)
    return Site(practice, staff.email, clinic.visit.name, clinic.provider.display_name)


@pytest.fixture(scope="session")
def e2e_site(django_db_setup: None, django_db_blocker: Any) -> Site:
    """Committed, and left in place: the test database goes at the end of the session, and no other
    test counts or lists all practices (deleting one would audit into its dropped schema)."""
    with django_db_blocker.unblock():
        return _set_up_practice()


@pytest.fixture(scope="module", autouse=True)
def _no_due_reminders_left_behind(e2e_site: Site, django_db_blocker: Any) -> Iterator[None]:
    """The journey's booking plans reminders, which puts the practice in the public index of due
    work; the reminder tick tests that run later count the practices in that index."""
    yield
    with django_db_blocker.unblock():
        PracticeDueWork.objects.filter(practice=e2e_site.practice).delete()


def _database_url() -> str:
    db = connection.settings_dict  # pytest-django has pointed it at the test database
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def stripe_fake() -> Iterator[FakeStripe]:
    fake, http_server = start_fake_stripe()
    yield fake
    http_server.shutdown()


@pytest.fixture(scope="session")
def server(e2e_site: Site, stripe_fake: FakeStripe, django_db_blocker: Any) -> Iterator[Server]:
    work = Path(tempfile.mkdtemp(prefix="practica-e2e-"))
    static_root, mail_dir, log = work / "static", work / "mail", work / "server.log"
    mail_dir.mkdir()
    with override_settings(STATIC_ROOT=str(static_root)):
        call_command("collectstatic", interactive=False, verbosity=0)
    port = _free_port()
    public_url = f"http://{PUBLIC_HOST}:{port}"
    # The webhook endpoints as the platform's Stripe dashboard would list them, for the events
    # Practica handles; the fake reaches practica.test at the server's address.
    stripe_fake.hosts[PUBLIC_HOST] = "127.0.0.1"
    stripe_fake.add_webhook_endpoint(
        f"{public_url}/stripe/webhooks/platform/",
        settings.STRIPE_WEBHOOK_SECRET,
        connect=False,
        enabled_events=PLATFORM_EVENTS,
    )
    stripe_fake.add_webhook_endpoint(
        f"{public_url}/stripe/webhooks/connect/",
        settings.STRIPE_CONNECT_WEBHOOK_SECRET,
        connect=True,
        enabled_events=CONNECT_EVENTS,
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.server_settings",
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "0",
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(work / "media"),
        "PRACTICA_E2E_MAIL_DIR": str(mail_dir),
        "PUBLIC_SCHEME": "http",
        "PUBLIC_PORT": f":{port}",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "STRIPE_API_BASE": stripe_fake.base_url,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "STRIPE_CONNECT_WEBHOOK_SECRET": settings.STRIPE_CONNECT_WEBHOOK_SECRET,
        "PYTHONPATH": f"{ROOT / 'platform'}{os.pathsep}{ROOT}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "practica.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://{SLUG}.practica.test:{port}"
    try:
        _wait_until_serving(port, process, log)
        yield Server(base_url, mail_dir, log, public_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


def _wait_until_serving(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne exited:\n{log.read_text()}")
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/portal/login/", headers={"Host": f"{SLUG}.practica.test"}
            )
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"daphne did not answer within 30 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: sync_playwright keeps an event loop in this thread while it runs, which later
    tests that call async code synchronously (async_to_sync) must not find there."""
    from playwright.sync_api import sync_playwright

    axe_script()
    # While sync_playwright runs, its event loop counts as running in this thread; the ORM calls
    # the tests make between browser steps are plain synchronous code all the same.
    unsafe_before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP *.practica.test 127.0.0.1, MAP practica.test 127.0.0.1",
            ],
        )
        yield chromium
        chromium.close()
        # Inside sync_playwright the tests ran in a context of their own, whose database
        # connection pytest-django cannot see to close before it drops the test database.
        connections.close_all()
    if unsafe_before is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = unsafe_before


@pytest.fixture
def new_context(browser: Any) -> Iterator[Any]:
    """Opens browser contexts (separate cookie jars: one per person) and closes them after the test.
    The pages' Content-Security-Policy is in force, as in production (Chromium applies form-action
    to a form's redirects too); axe-core comes as an init script, which CSP does not govern."""
    contexts: list[Any] = []

    def open_context(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": {"width": 390, "height": 844}, **options})
        context.add_init_script(path=str(axe_script()))
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


SERIOUS = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id}: ${v.help} at `
      + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}
"""


def assert_accessible(page: Any) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    assert page.evaluate("typeof axe !== 'undefined'"), f"axe-core is not loaded in {page.url}"
    violations = page.evaluate(SERIOUS)
    assert violations == [], f"{page.url}:\n" + "\n".join(violations)


def sign_in_staff(page: Any, server: Server, email: str) -> None:
    """Sign a member of staff in to the back office through its login page."""
    page.goto(f"{server.base_url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$|/dashboard"))
