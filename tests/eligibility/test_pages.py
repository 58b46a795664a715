"""The patient page shows the coverage's latest eligibility result, stale once older than the
practice's window."""

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils import timezone

from practica.accounts.roles import Role
from practica.eligibility import services
from practica.insurance.models import Coverage
from tenants.models import Practice
from tests.claims.factories import CoverageFactory, PayerFactory
from tests.claims.test_scrub_eligibility import INACTIVE_271 as INACTIVE
from tests.conftest import signed_in_client, staff
from tests.eligibility.conftest import SUBSCRIBER_271
from tests.portal.conftest import make_account, portal_client


def test_the_patient_page_shows_the_eligibility_badge(
    practice_a: Practice, in_practice: Any, coverage: Coverage, badx12_edi: Path
) -> None:
    client = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    page = client.get(f"/patients/{coverage.patient_id}/")
    assert page.status_code == 200 and "Not checked" in page.content.decode()
    raw = (badx12_edi / SUBSCRIBER_271).read_text()
    with in_practice(practice_a):
        old = timezone.now() - dt.timedelta(days=4)
        services.record_response(
            services.begin_check(coverage, service_date=old.date(), now=old), raw, now=old
        )
    page = client.get(f"/patients/{coverage.patient_id}/")
    assert 'class="badge eligibility-active">Insurance active (stale)</span>' in page.content.decode()
    with in_practice(practice_a):
        now = timezone.now()
        services.record_response(
            services.begin_check(coverage, service_date=now.date(), now=now), raw, now=now
        )
    page = client.get(f"/patients/{coverage.patient_id}/")
    assert 'class="badge eligibility-active">Insurance active</span>' in page.content.decode()


def test_the_portal_says_verified_or_asks_for_an_update_without_plan_details(
    practice_a: Practice, in_practice: Any, badx12_edi: Path
) -> None:
    with in_practice(practice_a):
        account = make_account("elig@example.com")
        coverage = CoverageFactory.create(patient=account.patient, payer=PayerFactory.create(name="Lakeview"))
        now = timezone.now()
        later = now + dt.timedelta(minutes=1)
        raw = (badx12_edi / SUBSCRIBER_271).read_text()
        services.record_response(
            services.begin_check(coverage, service_date=now.date(), now=now), raw, now=now
        )
    client = portal_client(account, practice_a)
    page = client.get("/portal/profile/insurance/").content.decode()
    assert "Insurance verified with your insurer." in page
    assert "GOLD 123" not in page and "$10" not in page
    with in_practice(practice_a):
        services.record_response(
            services.begin_check(coverage, service_date=now.date(), now=later), INACTIVE, now=later
        )
    page = client.get("/portal/profile/insurance/").content.decode()
    assert "We could not confirm this insurance with your insurer." in page
    assert "Insurance verified" not in page
