"""Fixtures for notification tests: a practice with a bookable setup, and the Twilio contract mock."""

import datetime
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenants.models import Practice
from tests.factories import Clinic, make_clinic

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def alpha(practice_a: Practice) -> Iterator[Clinic]:
    """A New York location (no working hours: bookings override the rules), a visit type with no
    notice, and Maria, who can be texted and emailed."""
    with tenant_context(practice_a):
        yield make_clinic(
            practice_a,
            location={"address_line1": "12 Main Street"},
            hours=None,
            visit={"name": "Diabetes follow-up", "min_notice_minutes": 0},
            patient={"first_name": "Maria", "phone": "(555) 201-0001", "email": "maria@example.com"},
            book_override=True,
        )


def local(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A New York wall-clock time `days` from today."""
    day = timezone.now().astimezone(NEW_YORK).date() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NEW_YORK)


def _free_port(preferred: int) -> int:
    for port in range(preferred, preferred + 50):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("No free port for the Twilio mock")


@pytest.fixture(scope="session")
def twilio_mock() -> Iterator[str]:
    """Prism serving Twilio's own OpenAPI spec over real HTTP; every SDK request is checked against it.
    bin/test installs it (bin/lib.sh: setup_twilio_mock) and exports where it is."""
    prism, spec = os.environ.get("TWILIO_MOCK_PRISM"), os.environ.get("TWILIO_MOCK_SPEC")
    if not prism or not spec:
        pytest.fail("The Twilio mock is not installed: run the tests with bin/test")
    # (each pytest-xdist worker starts its own, from a range of its own)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    port = _free_port(int(os.environ.get("PRACTICA_TWILIO_MOCK_PORT", "4406")) + 50 * worker)
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [prism, "mock", "-h", "127.0.0.1", "-p", str(port), spec],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("The Twilio mock did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def use_twilio(settings: object, twilio_mock: str) -> Callable[[], None]:
    """Platform Twilio account pointed at the mock."""
    settings.TWILIO_API_BASE = twilio_mock  # type: ignore[attr-defined]
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32  # type: ignore[attr-defined]
    settings.TWILIO_AUTH_TOKEN = "platform-token"  # type: ignore[attr-defined]
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "2" * 32  # type: ignore[attr-defined]
    return lambda: None
