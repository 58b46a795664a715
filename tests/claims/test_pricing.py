"""The fee of a procedure on a date: the most specific schedule in effect, then the latest."""

import datetime

from practica.claims.pricing import unit_fee, unit_fees
from tests.claims.conftest import Billing
from tests.claims.factories import PayerFactory, fee_schedule
from tests.factories import LocationFactory

DAY = datetime.date(2026, 3, 2)


def test_the_most_specific_then_latest_schedule_wins(billing: Billing) -> None:
    code = billing.office_visit
    fee = lambda payer=billing.payer, location=billing.location, on=DAY: unit_fee(  # noqa: E731
        code, on=on, payer=payer, location=location
    )
    assert fee() == 12000  # no schedule: the default fee
    fee_schedule({code: 9000}, datetime.date(2025, 1, 1))
    assert fee() == 9000
    fee_schedule({code: 9500}, datetime.date(2026, 1, 1))
    assert fee() == 9500  # the later practice-wide one
    assert fee(on=datetime.date(2025, 6, 1)) == 9000  # on an earlier day, the one then in effect
    fee_schedule({code: 10000}, datetime.date(2024, 1, 1), location=billing.location)
    assert fee() == 10000  # a location's, however old, beats practice-wide ones
    fee_schedule({code: 11000}, datetime.date(2024, 1, 1), payer=billing.payer)
    assert fee() == 11000
    fee_schedule({code: 11500}, datetime.date(2024, 1, 1), payer=billing.payer, location=billing.location)
    assert fee() == 11500
    # Another payer, another location: none of theirs.
    assert fee(payer=PayerFactory.create(), location=LocationFactory.create()) == 9500
    # Not yet in effect, or ended: ignored.
    fee_schedule({code: 1}, datetime.date(2026, 3, 3), payer=billing.payer, location=billing.location)
    schedule = fee_schedule(
        {code: 2}, datetime.date(2026, 2, 1), payer=billing.payer, location=billing.location
    )
    schedule.effective_to = datetime.date(2026, 3, 1)
    schedule.save()
    assert fee() == 11500
    assert fee(payer=None) == 10000


def test_many_procedures_are_priced_in_one_query(billing: Billing, django_assert_num_queries: object) -> None:
    fee_schedule({billing.office_visit: 9000, billing.injection: 2000}, datetime.date(2025, 1, 1))
    with django_assert_num_queries(1):  # type: ignore[operator]
        fees = unit_fees(
            [billing.office_visit, billing.injection], on=DAY, payer=billing.payer, location=billing.location
        )
    assert fees == {billing.office_visit.pk: 9000, billing.injection.pk: 2000}
