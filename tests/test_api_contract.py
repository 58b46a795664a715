"""The API keeps the contract its schema states: a bounded schemathesis run over every operation.

A few examples per operation, valid and invalid, in a practice of its own (created in the test's
transaction, so it is rolled back), called through the WSGI app as the practice's owner. Every
response must be documented (status, content type, body), no valid request may be refused for
its shape, no invalid one accepted, and none may be a server error. Hypothesis runs derandomized,
so a failure is the same failure on every run.

Schemathesis' pytest plugin does not run on pytest 9, so its Hypothesis strategies are driven here.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance

from practica.accounts.roles import Role
from practica.core.tenancy import use_public_schema, use_schema_of
from tenants.models import Plan, Practice
from tenants.services import provision_practice
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import make_clinic

# What a valid-looking request can still be refused for, by operation: fields whose rule the
# schema cannot state (an NPI's check digit, a date not in the future, a phone number that must
# dial somewhere, an id that must name an existing row of this practice), and RULE for a
# scheduling rule's refusal (its own code: the time is taken, outside hours, past the booking
# window). A 400 for anything else on schema-valid data means the schema failed to state a
# constraint.
RULE = "rule"
RULE_BOUND: dict[str, set[str]] = {
    "POST /api/v1/patients/": {"date_of_birth", "phone"},
    "PUT /api/v1/patients/{id}/": {"date_of_birth", "phone"},
    "PATCH /api/v1/patients/{id}/": {"date_of_birth", "phone"},
    "POST /api/v1/locations/": {"npi"},
    "PATCH /api/v1/locations/{id}/": {"npi"},
    "POST /api/v1/providers/": {"npi", "locations"},
    "PATCH /api/v1/providers/{id}/": {"npi", "locations"},
    "POST /api/v1/appointment-types/": {"providers"},
    "PATCH /api/v1/appointment-types/{id}/": {"providers"},
    "POST /api/v1/rooms/": {"location"},
    "PATCH /api/v1/rooms/{id}/": {"location"},
    "GET /api/v1/slots/": {"appointment_type", "provider", "location", RULE},
    "POST /api/v1/appointments/": {"patient", "appointment_type", "provider", "location", "room", RULE},
    "POST /api/v1/appointments/{id}/reschedule/": {"provider", "location", RULE},
    "POST /api/v1/appointments/{id}/cancel/": {RULE},
    "POST /api/v1/appointments/{id}/status/": {RULE},
    "POST /api/v1/waitlist/": {"patient", "appointment_type", "provider", RULE},
}
EXAMPLES = 4


@pytest.fixture
def contract_practice(db: None) -> Iterator[Practice]:
    practice = provision_practice(name="Contract Clinic", slug="contract", plan=Plan.objects.first())
    use_schema_of(practice)
    make_clinic(practice, room=True, patient={})
    use_public_schema()
    yield practice
    use_public_schema()


@pytest.fixture
def practice_app(contract_practice: Practice) -> Iterator[Callable[..., Any]]:
    """Django's WSGI app as served at the practice's host (schemathesis' WSGI client calls
    `localhost`, where it keeps its cookies), without closing the database connection around
    each request (which would end the test's transaction), as Django's own test client does."""
    handler = WSGIHandler()
    host = host_of(contract_practice)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["HTTP_HOST"] = host
        return handler(environ, start_response)

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield app
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def owner_session(practice: Practice) -> str:
    client: Client = signed_in_client(staff(practice, Role.OWNER), practice)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def refused_by_rule(label: str, body: dict[str, Any]) -> bool:
    allowed = RULE_BOUND.get(label, set())
    if "errors" in body:
        return set(body["errors"]) <= allowed
    return RULE in allowed and body["code"] != "invalid"


def exercise(operation: Any, mode: GenerationMode, headers: dict[str, str], cookies: dict[str, str]) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(headers=headers, cookies=cookies)
        excluded = []
        if response.status_code == 400 and refused_by_rule(label, response.json()):
            excluded.append(positive_data_acceptance)
        case.validate_response(
            response,
            excluded_checks=excluded,
            headers=headers,
            transport_kwargs={"headers": headers, "cookies": cookies},
        )

    run()


def test_every_operation_keeps_the_schema(
    practice_app: Callable[..., Any], contract_practice: Practice
) -> None:
    # The owner's session is the schema's security scheme (so schemathesis can also try without
    # it, or with a made-up one); the CSRF token goes with every request.
    auth = {"openapi": {"practiceSession": {"api_key": owner_session(contract_practice)}}}
    config = SchemathesisConfig.from_dict({"auth": auth})
    schema = schemathesis.openapi.from_wsgi("/api/schema/", practice_app, config=config)
    token = _get_new_csrf_string()
    headers, cookies = {"X-CSRFToken": token}, {settings.CSRF_COOKIE_NAME: token}
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) > 20
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                exercise(operation, mode, headers, cookies)
            except (Exception, FailureGroup) as failure:  # every operation's findings, not the first
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)
