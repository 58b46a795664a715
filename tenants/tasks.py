from celery import shared_task

from tenants.retention import purge_expired_practices as purge


@shared_task(name="tenants.tasks.purge_expired_practices", ignore_result=True)
def purge_expired_practices() -> list[str]:
    return purge()
