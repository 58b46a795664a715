from django.db import models

from tenants.models import Practice


class EligibilityDueWork(models.Model):
    """When a practice's nightly eligibility batch next runs (NULL: no real-time clearinghouse is
    configured, nothing to run). Beat's tick reads only rows due now through the index on
    next_due_at, so its cost follows the work due, not the number of practices.

    Written in the same transaction as the practice's eligibility settings (the practice schema's
    search_path includes public)."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="eligibility_due_work")
    schema_name = models.CharField(max_length=63)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.schema_name} eligibility batch due {self.next_due_at}"
