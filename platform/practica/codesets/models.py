"""Public code sets every practice shares (public schema): ICD-10-CM diagnoses and CMS places of
service. Loaded by `manage.py load_codesets`; read-only for the application."""

from django.db import models
from django.db.models import Q


class Icd10Code(models.Model):
    """One ICD-10-CM item (chapter, block, category or code) of the loaded edition.

    `code` is written with its dot (E11.9) as people read it; `compact` without (E119) as X12's HI
    segment carries it. Only `billable` codes (the leaves of the tree) may go on a claim."""

    code = models.CharField(max_length=8, unique=True)
    compact = models.CharField(max_length=8, unique=True)
    description = models.CharField(max_length=400)
    billable = models.BooleanField(default=False)
    chapter = models.CharField(max_length=4, blank=True, help_text="Chapter number, e.g. 4.")
    block = models.CharField(max_length=8, blank=True, help_text="Block, e.g. E08-E13.")
    category = models.CharField(max_length=3, blank=True, help_text="Three-character category, e.g. E11.")
    edition = models.CharField(max_length=20, help_text="The package version it was loaded from.")

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["billable", "code"], name="icd10_billable_code_idx"),
            # The coding screen's search (codesets.selectors.search_diagnoses) by code prefix; the
            # search by words uses a trigram index on UPPER(description) (migration 0003).
            models.Index(
                fields=["compact"],
                opclasses=["varchar_pattern_ops"],
                condition=Q(billable=True),
                name="icd10_billable_prefix_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class PlaceOfService(models.Model):
    """A CMS place-of-service code (CLM05-1 / SV105), with a short label of our own."""

    code = models.CharField(max_length=2, primary_key=True)
    label = models.CharField(max_length=80)
    telehealth = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "places of service"

    def __str__(self) -> str:
        return f"{self.code} {self.label}"
