"""Eligibility checks stored per coverage: the 271 read and kept (encrypted, read only through an
audited view), the latest result per coverage, fresh or stale by the practice's window."""

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from practica.audit.models import AuditEvent
from practica.eligibility import selectors, services
from practica.eligibility.errors import EligibilityError
from practica.eligibility.models import EligibilityCheck, Trigger
from practica.insurance.models import Coverage
from tests.eligibility.conftest import SUBSCRIBER_271

NOW = dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 3)


def test_a_271_is_read_and_kept_encrypted(coverage: Coverage, badx12_edi: Path) -> None:
    raw = (badx12_edi / SUBSCRIBER_271).read_text()
    check = services.begin_check(
        coverage, service_date=DAY, now=NOW, trigger=Trigger.BOOKING, service_types=["30", "98"]
    )
    assert check.status == "pending" and selectors.latest_check(coverage.id) is None
    check = services.record_response(check, raw, now=NOW + dt.timedelta(seconds=2))
    stored = EligibilityCheck.objects.get(pk=check.pk)
    assert stored.status == "active" and stored.plan_name == "GOLD 123 PLAN"
    assert stored.copay_cents == 1000 and stored.out_of_network == {"copay_cents": 3000}
    assert stored.service_type == "98"
    assert "GOLD" not in stored.raw_271_encrypted and "SMITH" not in stored.raw_271_encrypted
    assert selectors.latest_check(coverage.id) == stored


def test_reading_the_raw_271_is_audited(coverage: Coverage, badx12_edi: Path) -> None:
    raw = (badx12_edi / SUBSCRIBER_271).read_text()
    check = services.record_response(services.begin_check(coverage, service_date=DAY, now=NOW), raw, now=NOW)
    assert AuditEvent.objects.filter(object_id=str(check.pk), action="view").count() == 0
    assert selectors.raw_271(check) == raw
    assert AuditEvent.objects.filter(object_id=str(check.pk), action="view").count() == 1
    # The writes were audited by the database's triggers too.
    assert (
        AuditEvent.objects.filter(object_type="eligibility.eligibilitycheck", object_id=str(check.pk))
        .exclude(action="view")
        .exists()
    )


def test_a_malformed_response_or_no_response_is_could_not_verify(coverage: Coverage) -> None:
    check = services.record_response(
        services.begin_check(coverage, service_date=DAY, now=NOW), "ISA*00*garbage", now=NOW
    )
    assert check.status == "unverified"
    assert check.reason.startswith("Could not verify: the response is not a readable 271 (segment ISA")
    failed = services.record_failure(
        services.begin_check(coverage, service_date=DAY, now=NOW),
        "the clearinghouse did not answer in 10 s",
        now=NOW,
    )
    assert failed.status == "unverified" and "did not answer in 10 s" in failed.reason
    assert failed.raw_271_encrypted == "" and selectors.raw_271(failed) == ""


def test_results_go_stale_after_the_practices_window(coverage: Coverage, badx12_edi: Path) -> None:
    raw = (badx12_edi / SUBSCRIBER_271).read_text()
    check = services.record_response(services.begin_check(coverage, service_date=DAY, now=NOW), raw, now=NOW)
    assert selectors.badge(check, NOW + dt.timedelta(hours=71)).text == "Insurance active"
    assert selectors.badge(check, NOW + dt.timedelta(hours=73)).text == "Insurance active (stale)"
    services.set_freshness(24)
    assert selectors.badge(check, NOW + dt.timedelta(hours=25)).stale
    assert selectors.badge(None, NOW).text == "Not checked"
    with pytest.raises(EligibilityError):
        services.set_freshness(0)


def test_latest_of_many_coverages_in_one_query(coverage: Coverage, badx12_edi: Path) -> None:
    raw = (badx12_edi / SUBSCRIBER_271).read_text()
    first = services.record_response(services.begin_check(coverage, service_date=DAY, now=NOW), raw, now=NOW)
    later = services.record_failure(
        services.begin_check(coverage, service_date=DAY, now=NOW), "timeout", now=NOW + dt.timedelta(hours=1)
    )
    services.begin_check(coverage, service_date=DAY, now=NOW + dt.timedelta(hours=2))  # pending: not a result
    with CaptureQueriesContext(connection) as queries:
        latest = selectors.latest_checks([coverage.id])
    assert len(queries) == 1
    assert latest[coverage.id].pk == later.pk != first.pk


def test_an_unknown_trigger_is_refused(coverage: Coverage) -> None:
    with pytest.raises(EligibilityError, match="not a reason"):
        services.begin_check(coverage, service_date=DAY, now=NOW, trigger="whenever")
