import datetime
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tenants.models import Practice
from tests.factories import Clinic, make_clinic

NY = ZoneInfo("America/New_York")
UTC = datetime.UTC
# Monday 2 March 2026, 07:00 in New York: notice and days-ahead are easy to reason about from here.
NOW = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def local(month: int, day: int, hour: int = 0, minute: int = 0, zone: ZoneInfo = NY) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=zone)


@pytest.fixture
def clinic(practice_a: Practice, in_practice: Any) -> Iterator[Clinic]:
    """A New York location with one provider working weekdays 09:00-12:00 and a 30-minute visit."""
    with in_practice(practice_a):
        yield make_clinic(
            practice_a,
            provider={"display_name": "Dr Ada Able"},
            hours=(9, 12),
            hours_from=datetime.date(2026, 1, 1),
            visit={"name": "Visit"},
        )
