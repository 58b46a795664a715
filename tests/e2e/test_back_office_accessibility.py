"""The staff back office in a real browser: no serious or critical axe-core violation on its main
pages, for the practice's owner (who sees every page) with the Content-Security-Policy in force."""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.accounts.models import Membership, User
from practica.accounts.roles import Role
from practica.claims.models import Encounter
from practica.eligibility.models import EligibilityCheck
from practica.insurance.models import Coverage
from practica.patients.models import Patient
from practica.scheduling.models import Location, Provider
from tests.e2e.conftest import SERIOUS, Server, Site, sign_in_staff
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

OWNER_EMAIL = "owner@e2e.example"


@pytest.fixture(scope="module")
def owner(e2e_site: Site, django_db_blocker: Any) -> Iterator[User]:
    with django_db_blocker.unblock():
        user = UserFactory.create(email=OWNER_EMAIL, full_name="Olive Owner")
        Membership.objects.create(user=user, practice=e2e_site.practice, role=Role.OWNER)
    yield user
    with django_db_blocker.unblock():
        Membership.objects.filter(user=user).delete()


def back_office_pages(site: Site) -> list[str]:
    with tenant_context(site.practice):
        location = Location.objects.get(name="Main clinic")
        provider = Provider.objects.get(display_name=site.provider_name)
        patient = Patient.objects.order_by("last_name").first()
    pages = [
        "/",
        "/patients/",
        "/patients/new/",
        "/setup/",
        f"/setup/locations/{location.pk}/",
        f"/setup/providers/{provider.pk}/",
        f"/setup/providers/{provider.pk}/week/",
        "/setup/policy/",
        f"/schedule/?scope=location&id={location.pk}",
        f"/schedule/?scope=provider&id={provider.pk}&view=day",
        "/schedule/today/",
        "/schedule/waitlist/",
        "/schedule/book/",
        "/messages/",
        "/audit/",
        "/staff/",
        "/settings/security/",
        "/billing/",
        "/billing/reports/daily/",
        "/notifications/log/",
        "/claims/",
        "/claims/charges/",
        "/denials/",
        "/claims/ready/",
        "/claims/submissions/",
        "/claims/setup/",
        "/claims/setup/scrub-rules/",
        "/claims/setup/scrub-rules/new/",
        "/claims/setup/profile/",
        "/claims/setup/payers/new/",
        "/claims/setup/procedures/new/",
        "/claims/setup/procedures/import/",
        "/claims/setup/fees/new/",
        "/remittance/",
        "/remittance/exceptions/",
        "/remittance/manual/",
        "/statements/",
        "/statements/settings/",
        "/statements/receivables/",
        "/eligibility/problems/",
    ]
    if patient is not None:
        pages += [f"/patients/{patient.pk}/", f"/billing/patients/{patient.pk}/"]
        pages.append(f"/statements/patients/{patient.pk}/")
        pages.append(f"/patients/{patient.pk}/merge/")
        with tenant_context(site.practice):
            encounter = Encounter.objects.filter(patient=patient).first() or Encounter.objects.create(
                patient=patient, provider=provider, rendering_provider=provider, location=location,
                date_of_service=datetime.date(2026, 3, 2), place_of_service="11",
            )  # fmt: skip
        pages.append(f"/claims/encounters/{encounter.pk}/?q=E11")
        with tenant_context(site.practice):
            coverage = Coverage.objects.filter(patient=patient).first()
            if coverage is not None:
                now = timezone.now()
                answer = EligibilityCheck.objects.create(
                    coverage=coverage, service_date=now.date(), requested_at=now, completed_at=now,
                    status="active", plan_name="PPO", copay_cents=2500, messages=["Office visits covered"],
                )  # fmt: skip
                pages.append(f"/eligibility/checks/{answer.pk}/")
    return pages


@pytest.fixture(scope="module")
def pages(e2e_site: Site, django_db_blocker: Any) -> list[str]:
    """The pages, with what they show committed before the test's own transaction (which the
    server, another process, cannot see)."""
    with django_db_blocker.unblock():
        return back_office_pages(e2e_site)


def test_back_office_pages_have_no_serious_accessibility_violations(
    server: Server, owner: User, pages: list[str], new_context: Any
) -> None:
    page = new_context().new_page()
    sign_in_staff(page, server, OWNER_EMAIL)
    found: list[str] = []
    for path in pages:
        response = page.goto(f"{server.base_url}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.evaluate("typeof axe !== 'undefined'"), f"axe-core is not loaded in {path}"
        found += [f"{path}: {violation}" for violation in page.evaluate(SERIOUS)]
    assert found == [], "\n".join(found)
