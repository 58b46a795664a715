"""Practices in the public due-work index only, for the beat tick's test and benchmark."""

import datetime

from django.utils import timezone

from notifications.routing.models import PracticeDueWork
from tenants.models import Practice


def add_index_only_practices(prefix: str, start: int, count: int, due: int) -> None:
    """Practice rows without schemas (bulk_create skips schema creation): the tick reads only the
    index. The first `due` have work due now; the others an hour or more from now."""
    now = timezone.now()
    due_at = now - datetime.timedelta(seconds=5)
    practices = Practice.objects.bulk_create(
        Practice(name=f"{prefix} {i}", slug=f"{prefix}-{i}", schema_name=f"{prefix}_{i}")
        for i in range(start, start + count)
    )
    PracticeDueWork.objects.bulk_create(
        PracticeDueWork(
            practice=practice,
            schema_name=practice.schema_name,
            next_due_at=due_at if n < due else now + datetime.timedelta(hours=1 + n),
        )
        for n, practice in enumerate(practices)
    )
