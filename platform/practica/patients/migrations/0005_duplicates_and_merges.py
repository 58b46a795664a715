"""Likely duplicates and merges: indexes for the birth date, the email (as iexact compares it) and
the names (pg_trgm, for searching as one types), and the record of each merge. pg_trgm lives in
the public schema (codesets installs it there), which every practice's search_path includes."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0004_phones_e164'),
    ]

    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public", migrations.RunSQL.noop),
        migrations.CreateModel(
            name='PatientMerge',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('merged_patient_id', models.UUIDField(db_index=True)),
                ('merged_name', models.CharField(max_length=170)),
                ('merged_date_of_birth', models.DateField()),
                ('moved', models.JSONField(default=dict, help_text='Rows moved, by model.')),
                ('merged_by_id', models.BigIntegerField(blank=True, null=True)),
                ('merged_by_name', models.CharField(blank=True, max_length=200)),
                ('merged_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['-merged_at'],
            },
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['date_of_birth'], name='patient_birth_date_idx'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(django.db.models.functions.text.Upper('email'), name='patient_email_idx'),
        ),
        # (SQL: Django wraps an expression index's operator class in parentheses.)
        migrations.RunSQL(
            'CREATE INDEX patient_first_name_trgm_idx ON patients_patient USING gin ((upper(first_name::text)) gin_trgm_ops)',
            'DROP INDEX patient_first_name_trgm_idx',
        ),
        migrations.RunSQL(
            'CREATE INDEX patient_last_name_trgm_idx ON patients_patient USING gin ((upper(last_name::text)) gin_trgm_ops)',
            'DROP INDEX patient_last_name_trgm_idx',
        ),
        migrations.AddField(
            model_name='patientmerge',
            name='kept',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='merges', to='patients.patient'),
        ),
    ]
