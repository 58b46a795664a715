"""Celery entry points of the claims domain: acknowledgements (and 835 remittances, posted by
practica.remittance) picked up from the clearinghouse."""

import logging
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django_tenants.utils import tenant_context

from tenants.models import Practice

log = logging.getLogger(__name__)


@shared_task
def import_inbox(practice_id: int) -> int:
    """One practice: import the 835 remittances and acknowledgement files its clearinghouse adapter
    has waiting (each file in its own transaction; a file read before changes nothing, so a task
    run twice is harmless). Returns how many files were imported."""
    from practica.claims.acknowledgements import import_from_clearinghouse
    from practica.claims.clearinghouse import for_practice
    from practica.claims.models import BillingProfile
    from practica.remittance.inbox import import_remittances

    practice = Practice.objects.get(pk=practice_id)
    with tenant_context(practice):
        profile = BillingProfile.objects.first()
        if profile is None:
            return 0
        adapter = for_practice(profile)
        remitted, refused_835 = import_remittances(adapter)
        results, refused = import_from_clearinghouse(adapter)
    for reason in refused_835:
        log.warning("835 set aside: %s", reason)
    for reason in refused:
        log.warning("acknowledgement set aside: %s", reason)
    return len(remitted) + len(results)


@shared_task
def import_acknowledgement_inboxes() -> int:
    """Beat: each practice that has an EDI folder under EDI_ROOT gets an import task (the folder
    is made when its first batch is sent, so practices that never sent one cost nothing)."""
    root = Path(settings.EDI_ROOT)
    if not root.is_dir():
        return 0
    folders = [p.name for p in root.iterdir() if p.is_dir()]
    queued = 0
    for practice_id in Practice.objects.filter(schema_name__in=folders).values_list("pk", flat=True):
        import_inbox.delay(practice_id)
        queued += 1
    return queued


@shared_task
def rescrub_practice_claims(practice_id: int) -> int:
    """One practice changed its scrub rules: scrub its unsent claims again, so the queues' counts
    and the coding screen's findings follow the new rules (batches, each its own transaction)."""
    from django.utils import timezone

    from practica.claims.scrubber.settings import rescrub_unsent_claims
    from practica.core.times import in_zone

    practice = Practice.objects.get(pk=practice_id)
    with tenant_context(practice):
        return rescrub_unsent_claims(today=in_zone(timezone.now(), practice).date())
