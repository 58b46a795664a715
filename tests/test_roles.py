"""Role enforcement, server-side, on every back-office area and API endpoint.

The table below is written out by hand (not derived from practica.accounts.roles), so a change to a
role's capabilities has to be made, and reviewed, twice.
"""

from dataclasses import dataclass, field
from typing import Any

import pytest

from practica.accounts.models import Membership
from practica.accounts.roles import Role
from practica.core.tenancy import use_public_schema, use_schema_of
from tenants.models import Practice
from tests.claims.factories import icd10
from tests.conftest import planted_once_per_module, signed_in_client, staff
from tests.factories import LocationFactory, PatientFactory, ProviderFactory
from tests.surface import plant_billing

O, M, F, C, B = Role.OWNER, Role.MANAGER, Role.FRONT_DESK, Role.CLINICIAN, Role.BILLER  # noqa: E741
EVERYONE = frozenset({O, M, F, C, B})


@dataclass(frozen=True)
class Area:
    name: str
    method: str
    path: str
    allowed: frozenset[str]
    body: dict[str, Any] = field(default_factory=dict)
    success: int = 200

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


AREAS = [
    Area("dashboard", "get", "/", EVERYONE),
    Area("switch practice", "get", "/switch/", EVERYONE),
    Area("patient list", "get", "/patients/", EVERYONE),
    Area("patient detail", "get", "/patients/{patient}/", EVERYONE),
    Area("new patient form", "get", "/patients/new/", frozenset({O, M, F, C})),
    Area(
        "create patient",
        "post",
        "/patients/new/",
        frozenset({O, M, F, C}),
        {"first_name": "New", "last_name": "Person", "date_of_birth": "1990-02-03", "sex": "U"},
        302,
    ),
    Area("edit patient form", "get", "/patients/{patient}/edit/", frozenset({O, M, F, C})),
    Area("patient search", "get", "/patients/search.json?q=pat", EVERYONE),
    Area("merge patients", "get", "/patients/{patient}/merge/", frozenset({O, M})),
    Area("locations & providers", "get", "/setup/", EVERYONE),
    Area("new location form", "get", "/setup/locations/new/", frozenset({O, M})),
    Area(
        "create location",
        "post",
        "/setup/locations/new/",
        frozenset({O, M}),
        {"name": "Eastside", "time_zone": "America/Chicago"},
        302,
    ),
    Area("edit location", "get", "/setup/locations/{location}/", frozenset({O, M})),
    Area("new provider form", "get", "/setup/providers/new/", frozenset({O, M})),
    Area("edit provider", "get", "/setup/providers/{provider}/", frozenset({O, M})),
    Area("staff list", "get", "/staff/", frozenset({O, M})),
    Area("change a role", "post", "/staff/{colleague}/", frozenset({O}), {"action": "role", "role": B}, 302),
    Area("deactivate staff", "post", "/staff/{colleague}/", frozenset({O}), {"action": "deactivate"}, 302),
    Area("practice settings", "get", "/settings/security/", frozenset({O})),
    Area("audit trail", "get", "/audit/", frozenset({O, M})),
    Area("API me", "get", "/api/v1/me/", EVERYONE),
    Area("API patient list", "get", "/api/v1/patients/", EVERYONE),
    Area("API patient", "get", "/api/v1/patients/{patient}/", EVERYONE),
    Area(
        "API create patient",
        "post",
        "/api/v1/patients/",
        frozenset({O, M, F, C}),
        {"first_name": "Api", "last_name": "Person", "date_of_birth": "1991-04-05"},
        201,
    ),
    Area(
        "API update patient",
        "patch",
        "/api/v1/patients/{patient}/",
        frozenset({O, M, F, C}),
        {"phone": "(512) 555-0100"},
    ),
    Area("API location list", "get", "/api/v1/locations/", EVERYONE),
    Area("API create location", "post", "/api/v1/locations/", frozenset({O, M}), {"name": "North"}, 201),
    Area("API update location", "patch", "/api/v1/locations/{location}/", frozenset({O, M}), {"name": "N"}),
    Area("API provider list", "get", "/api/v1/providers/", EVERYONE),
    Area(
        "API create provider",
        "post",
        "/api/v1/providers/",
        frozenset({O, M}),
        {"display_name": "Dr New", "npi": "1245319599"},
        201,
    ),
    Area("API staff list", "get", "/api/v1/staff/", frozenset({O, M})),
    Area("API audit events", "get", "/api/v1/audit-events/", frozenset({O, M})),
    Area("charges to review", "get", "/claims/charges/", frozenset({O, M, C, B})),
    Area("coding screen", "get", "/claims/encounters/{encounter}/", frozenset({O, M, C, B})),
    Area(
        "code a diagnosis",
        "post",
        "/claims/encounters/{encounter}/",
        frozenset({O, M, C, B}),
        {"action": "add_diagnosis", "code": "E11.9"},
        302,
    ),
    Area("diagnosis search", "get", "/claims/diagnoses/?q=I10", frozenset({O, M, C, B})),
    Area("claims by status and payer", "get", "/claims/", frozenset({O, M, B})),
    Area("claim", "get", "/claims/{claim}/", frozenset({O, M, B})),
    Area(
        "claim back to draft", "post", "/claims/{claim}/status/", frozenset({O, M, B}), {"to": "draft"}, 302
    ),
    Area("claim to the next payer", "post", "/claims/{claim}/next-payer/", frozenset({O, M, B}), {}, 302),
    Area("ready to submit", "get", "/claims/ready/", frozenset({O, M, B})),
    Area("submission history", "get", "/claims/submissions/", frozenset({O, M, B})),
    Area("submitted batch", "get", "/claims/submissions/{batch}/", frozenset({O, M, B})),
    Area("coverage problems before visits", "get", "/eligibility/problems/", frozenset({O, M, F, C})),
    Area("an eligibility answer and its 271", "get", "/eligibility/checks/{eligibility_check}/", EVERYONE),
    Area("denials queue", "get", "/denials/", frozenset({O, M, B})),
    Area("denial", "get", "/denials/{denial}/", frozenset({O, M, B})),
    Area("appeal letter template", "get", "/denials/setup/appeal-letter/", frozenset({O, M})),
    Area("patient account", "get", "/billing/patients/{patient}/", frozenset({O, M, F, B})),
    Area(
        "take a payment",
        "post",
        "/billing/patients/{patient}/",
        frozenset({O, M, F, B}),
        {"kind": "payment", "amount": "5.00", "method": "cash"},
        302,
    ),
    Area("daily close", "get", "/billing/reports/daily/", frozenset({O, M, F, B})),
    Area("payments received and 835 upload", "get", "/remittance/", frozenset({O, M, B})),
    Area("remittance exceptions", "get", "/remittance/exceptions/", frozenset({O, M, B})),
    Area(
        "remittance exception", "get", "/remittance/exceptions/{remittance_exception}/", frozenset({O, M, B})
    ),
    Area("payment received", "get", "/remittance/payments/{remittance}/", frozenset({O, M, B})),
    Area("post a paper EOB", "get", "/remittance/manual/", frozenset({O, M, B})),
    Area("billing setup", "get", "/claims/setup/", frozenset({O, M})),
    Area("billing profile", "get", "/claims/setup/profile/", frozenset({O, M})),
    Area("edit payer", "get", "/claims/setup/payers/{payer}/", frozenset({O, M})),
    Area(
        "add payer",
        "post",
        "/claims/setup/payers/new/",
        frozenset({O, M}),
        {"name": "Role Health", "claim_filing_indicator": "CI", "timely_filing_days": "90"},
        302,
    ),
    Area("edit procedure", "get", "/claims/setup/procedures/{procedure}/", frozenset({O, M})),
    Area("import procedures", "get", "/claims/setup/procedures/import/", frozenset({O, M})),
    Area("edit fee schedule", "get", "/claims/setup/fees/{fee_schedule}/", frozenset({O, M})),
    Area("scrubber rules", "get", "/claims/setup/scrub-rules/", frozenset({O, M})),
    Area("edit a practice's rule", "get", "/claims/setup/scrub-rules/{scrub_rule}/", frozenset({O, M})),
    Area("send ready claims", "post", "/claims/ready/send/", frozenset({O, M, B}), {}, 302),
    Area("statement runs", "get", "/statements/", frozenset({O, M, B})),
    Area("statement run", "get", "/statements/runs/{statement_run}/", frozenset({O, M, B})),
    Area("make statements now", "post", "/statements/run/", frozenset({O, M, B}), {}, 302),
    Area("statement settings", "get", "/statements/settings/", frozenset({O, M})),
    Area("patient A/R by age", "get", "/statements/receivables/", frozenset({O, M, B})),
    Area("patient's statements", "get", "/statements/patients/{patient}/", frozenset({O, M, B})),
    Area(
        "paper statements",
        "post",
        "/statements/patients/{patient}/action/",
        frozenset({O, M, B}),
        {"action": "paper"},
        302,
    ),
]


def call(client: Any, area: Area, ids: dict[str, str]) -> Any:
    path = area.path.format(**ids)
    if area.method == "get":
        return client.get(path)
    if area.is_api:
        return getattr(client, area.method)(path, area.body, content_type="application/json")
    return client.post(path, area.body)


def plant_a_rows() -> dict[str, str]:
    practice_a = Practice.objects.get(slug="alpha")
    use_schema_of(practice_a)
    patient, location, provider = PatientFactory.create(), LocationFactory.create(), ProviderFactory.create()
    found = {"patient": str(patient.pk), "location": str(location.pk), "provider": str(provider.pk)}
    icd10("E11.9")
    found |= plant_billing(patient, location, provider)
    use_public_schema()
    colleague = staff(practice_a, Role.FRONT_DESK)
    found["colleague"] = str(Membership.objects.get(user=colleague, practice=practice_a).pk)
    return found


# Planting these rows takes about 0.1 s and some 370 tests use them: they are planted once for the
# module, and each test's changes to them roll back with the test.
ids = planted_once_per_module(plant_a_rows)


CASES = [(area, role) for area in AREAS for role in Role.values]


@pytest.mark.parametrize(("area", "role"), CASES, ids=[f"{a.name}-{r}" for a, r in CASES])
def test_role_table(area: Area, role: str, practice_a: Practice, ids: dict[str, str]) -> None:
    client = signed_in_client(staff(practice_a, role), practice_a)
    response = call(client, area, ids)
    if role in area.allowed:
        assert response.status_code == area.success, response.content[:400]
    elif area.is_api:
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"code": "permission_denied", "message": "Your role does not allow this."}
    else:
        assert response.status_code == 403
        assert b"Not available for your role" in response.content


def test_billing_company_users_get_the_role_of_their_grant(practice_a: Practice, ids: dict[str, str]) -> None:
    from practica.accounts.services import grant_billing_company
    from tests.factories import BillingCompanyMemberFactory

    member = BillingCompanyMemberFactory.create()
    grant_billing_company(practice=practice_a, company=member.company, role=Role.BILLER, granted_by=None)
    client = signed_in_client(member.user, practice_a)
    for area in AREAS:
        response = call(client, area, ids)
        expected = area.success if B in area.allowed else 403
        assert response.status_code == expected, area.name


def test_menus_only_offer_what_the_role_may_open(practice_a: Practice) -> None:
    front_desk = signed_in_client(staff(practice_a, F), practice_a)
    owner = signed_in_client(staff(practice_a, O), practice_a)
    clinician = signed_in_client(staff(practice_a, C), practice_a)
    # Each area's pages are listed while one of them is shown.
    assert b'href="/audit/"' in owner.get("/audit/").content
    assert b">Reports</a>" in owner.get("/").content and b">Reports</a>" not in clinician.get("/").content
    # The front desk takes payments, so its reports are the day's close and nothing else.
    reports = front_desk.get("/billing/reports/daily/").content
    assert b'href="/billing/reports/daily/"' in reports
    assert b'href="/audit/"' not in reports and b'href="/statements/receivables/"' not in reports
    for link in (b'href="/staff/"', b'href="/settings/security/"'):
        assert link in owner.get("/setup/").content
        assert link not in front_desk.get("/setup/").content


def test_anonymous_api_calls_are_refused_without_data(practice_a: Practice) -> None:
    from django.test import Client

    from tests.conftest import host_of

    response = Client(HTTP_HOST=host_of(practice_a)).get("/api/v1/patients/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
