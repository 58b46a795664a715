"""Celery entry points of remittance: pyx12's check of a large 835 once it is posted."""

from celery import shared_task


@shared_task(name="remittance.validate_file", ignore_result=True, acks_late=True)
def validate_remittance_file(file_id: str) -> int:
    """Queued on commit by an import, with the practice's schema in its headers (the caller's).
    A file checked already is left alone, so a task delivered twice adds nothing."""
    from practica.remittance.models import RemittanceFile
    from practica.remittance.services import record_validation

    file = RemittanceFile.objects.filter(pk=file_id).first()
    if file is None or file.validation.get("checked"):
        return 0
    return len(record_validation(file))
