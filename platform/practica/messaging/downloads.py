"""Serving an attachment: decrypted in memory and sent as a download, never rendered inline."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from practica.intake.uploads import name_for_type
from practica.messaging.models import Attachment


def attachment_response(attachment: Attachment) -> HttpResponse:
    """Files are at most INTAKE_MAX_UPLOAD_BYTES, so reading one whole is fine."""
    served = HttpResponse(attachment.read(), content_type=attachment.content_type)
    served["Content-Disposition"] = content_disposition_header(
        True, name_for_type(attachment.name, attachment.content_type)
    )
    served["X-Content-Type-Options"] = "nosniff"
    served["Cache-Control"] = "private, no-store"
    return served
