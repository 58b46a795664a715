from django.db import models

from tenants.models import Practice


class StatementDueWork(models.Model):
    """When a practice next has statement work due: its monthly run, a dunning step, an
    installment to charge. Beat's tick reads only rows due now through the index on next_due_at,
    so its cost follows the work due, not the number of practices (as reminders' PracticeDueWork).

    Written in the same transaction as the practice rows that make the work due (the practice
    schema's search_path includes public)."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="statement_due_work")
    schema_name = models.CharField(max_length=63)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.schema_name} statements due {self.next_due_at}"
