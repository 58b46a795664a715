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
from tests.conftest import signed_in_client, staff
from tests.eligibility.conftest import SUBSCRIBER_271


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
