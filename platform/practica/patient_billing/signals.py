"""The subscription's seat count follows the practice's active providers."""

from typing import Any

from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from practica.scheduling.models import Provider
from tenants.models import Practice


@receiver(post_save, sender=Provider)
@receiver(post_delete, sender=Provider)
def provider_changed(sender: type[Provider], instance: Provider, **kwargs: Any) -> None:
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Practice) and tenant.stripe_subscription_id:
        from tenants.subscriptions.seats import on_commit_sync_seats

        on_commit_sync_seats(tenant)
