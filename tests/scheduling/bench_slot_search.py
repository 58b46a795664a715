"""Slot search and booking benchmark (issue 3): 50 providers, 20,000 appointments in one practice.

Not part of the suite (the file name does not start with test_); run it on purpose:

    bin/test -q -s tests/scheduling/bench_slot_search.py

Everything happens in the test's transaction in practice A and is rolled back at the end.
"""

import datetime
import statistics
import time
from typing import Any

from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.test.utils import CaptureQueriesContext

from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment, Provider, WeeklyHours
from practica.scheduling.policies import current_policy
from practica.scheduling.slots import open_slots
from practica.scheduling.validators import with_check_digit
from tenants.models import Practice
from tests.factories import LocationFactory, PatientFactory
from tests.scheduling.factories import AppointmentTypeFactory

PROVIDERS = 50
APPOINTMENTS = 20_000
DAYS = 100  # 20,000 appointments over 100 days: 4 a day per provider
NOW = datetime.datetime(2026, 3, 2, 5, tzinfo=datetime.UTC)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(runs: int, search: Any) -> tuple[float, float, int, int]:
    durations = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            found = search()
            durations.append((time.perf_counter() - started) * 1000)
    real_queries = [q for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
    return statistics.median(durations), percentile(durations, 0.95), len(real_queries), len(found)


def test_benchmark(practice_a: Practice, in_practice: Any) -> None:
    with in_practice(practice_a):
        location = LocationFactory.create(time_zone="America/New_York")
        visit = AppointmentTypeFactory.create(
            min_notice_minutes=0, max_days_ahead=365, buffer_after_minutes=5
        )
        current_policy()
        providers = Provider.objects.bulk_create(
            Provider(display_name=f"Provider {n:02d}", npi=with_check_digit(f"19{n:07d}"))
            for n in range(PROVIDERS)
        )
        location.providers.add(*providers)
        WeeklyHours.objects.bulk_create(
            WeeklyHours(
                provider=p,
                location=location,
                weekday=day,
                start_time=datetime.time(8),
                end_time=datetime.time(18),
                effective_from=datetime.date(2026, 1, 1),
            )
            for p in providers
            for day in range(7)
        )
        patients = PatientFactory.create_batch(200)
        first_day = NOW.replace(hour=13)
        rows = []
        for n in range(APPOINTMENTS):
            provider = providers[n % PROVIDERS]
            day, nth = divmod(n // PROVIDERS, 4)
            start = first_day + datetime.timedelta(days=day, hours=2 * nth)
            end = start + datetime.timedelta(minutes=30)
            rows.append(
                Appointment(
                    patient=patients[n % len(patients)],
                    provider=provider,
                    location=location,
                    appointment_type=visit,
                    start=start,
                    end=end,
                    occupancy=DateTimeTZRange(start, end + datetime.timedelta(minutes=5), "[)"),
                )
            )
        Appointment.objects.bulk_create(rows, batch_size=2000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE scheduling_appointment")
        assert Appointment.objects.count() >= APPOINTMENTS

        start = NOW + datetime.timedelta(days=20)
        one = timed(
            50,
            lambda: open_slots(
                visit, start, start + datetime.timedelta(days=30), provider=providers[7], now=NOW
            ),
        )
        anyone = timed(
            30,
            lambda: open_slots(visit, start, start + datetime.timedelta(days=7), location=location, now=NOW),
        )

        # Hourly starts of a few providers never overlap one another (30 minutes + 5 buffer).
        free_starts = [
            slot
            for provider in providers[:3]
            for slot in open_slots(
                visit, start, start + datetime.timedelta(days=7), provider=provider, now=NOW, step_minutes=60
            )
        ][:300]
        began = time.perf_counter()
        for index, slot in enumerate(free_starts):
            book_appointment(
                patient=patients[index % len(patients)],
                appointment_type=visit,
                provider=next(p for p in providers if p.pk == slot.provider_id),
                location=location,
                start=slot.start,
                source=Appointment.Source.STAFF,
                now=NOW,
            )
        per_second = len(free_starts) / (time.perf_counter() - began)

    print(
        f"\nslot search, one provider, 30 days: p50 {one[0]:.1f} ms, p95 {one[1]:.1f} ms, "
        f"{one[2]} queries, {one[3]} slots"
        f"\nslot search, any provider, 7 days:  p50 {anyone[0]:.1f} ms, p95 {anyone[1]:.1f} ms, "
        f"{anyone[2]} queries, {anyone[3]} slots"
        f"\nbooking throughput (one connection, full rules): {per_second:.0f} bookings/s"
    )
