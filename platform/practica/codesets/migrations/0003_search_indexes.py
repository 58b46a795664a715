"""Indexes for the coding screen's diagnosis search over billable codes: code prefixes, and words
anywhere in the description (pg_trgm on UPPER(description), which is what `icontains` compares;
written as SQL because Django wraps an expression index's operator class in parentheses)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("codesets", "0002_places_of_service")]

    operations = [
        TrigramExtension(),
        migrations.AddIndex(
            model_name="icd10code",
            index=models.Index(
                condition=models.Q(("billable", True)),
                fields=["compact"],
                name="icd10_billable_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.RunSQL(
            "CREATE INDEX icd10_billable_words_idx ON codesets_icd10code"
            " USING gin ((upper(description::text)) gin_trgm_ops) WHERE billable",
            "DROP INDEX icd10_billable_words_idx",
        ),
    ]
