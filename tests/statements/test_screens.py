"""The back office's patient A/R by age: totals per bucket and the drill-down to patients, read in
a fixed number of queries whatever the number of patients."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.statements.conftest import owing

pytestmark = pytest.mark.django_db


def test_receivables_by_age_with_drill_down(practice_a: Practice) -> None:
    now = timezone.now()
    with tenant_context(practice_a):
        owing([(100, 9000), (5, -2000)], now=now, last_name="Oldfield")  # 70.00 over 90 days
        owing([(45, 3000), (2, 1000)], now=now, last_name="Middleton")  # 30.00 at 31-60, 10.00 current
        owing([(3, 500), (1, -500)], now=now, last_name="Settled")
    client = signed_in_client(staff(practice_a, "biller"), practice_a)
    page = client.get("/statements/receivables/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 patients owe $110.00" in text and "Settled" not in text
    over_90 = client.get("/statements/receivables/?bucket=over_90").content.decode()
    assert "Oldfield" in over_90 and "Middleton" not in over_90

    with tenant_context(practice_a):
        for n in range(10):
            owing([(n * 20, 1000 + n)], now=now)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/statements/receivables/?bucket=current").status_code == 200
    baseline = len(queries)
    with tenant_context(practice_a):
        for n in range(10):
            owing([(n * 20, 2000 + n)], now=now - datetime.timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/statements/receivables/?bucket=current").status_code == 200
    assert len(queries) == baseline
