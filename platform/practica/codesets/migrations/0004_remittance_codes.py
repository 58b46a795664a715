"""The CARC/RARC meaning table, loaded from codesets/data/ so every database has it from the
start; `manage.py load_codesets` keeps it up to date."""

from django.db import migrations, models

from practica.codesets.remittance_codes import shipped_codes


def load(apps, schema_editor):
    RemittanceCode = apps.get_model("codesets", "RemittanceCode")
    RemittanceCode.objects.bulk_create(
        [RemittanceCode(kind=r.kind, code=r.code, category=r.category, meaning=r.meaning) for r in shipped_codes()],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("codesets", "0003_search_indexes")]

    operations = [
        migrations.CreateModel(
            name="RemittanceCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("carc", "Claim adjustment reason code"), ("rarc", "Remittance advice remark code")],
                        max_length=4,
                    ),
                ),
                ("code", models.CharField(max_length=8)),
                ("meaning", models.CharField(max_length=300)),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("eligibility", "Eligibility"),
                            ("authorization", "Authorization or referral"),
                            ("coding", "Coding"),
                            ("medical_necessity", "Medical necessity"),
                            ("bundling", "Bundling"),
                            ("duplicate", "Duplicate"),
                            ("timely_filing", "Timely filing"),
                            ("coordination_of_benefits", "Coordination of benefits"),
                            ("missing_information", "Missing information"),
                            ("non_covered", "Not covered"),
                            ("provider", "Provider enrolment"),
                            ("other", "Other"),
                            ("contractual", "Contractual"),
                            ("patient_responsibility", "Patient responsibility"),
                            ("payment_adjustment", "Payment adjustment"),
                            ("informational", "Informational"),
                        ],
                        max_length=30,
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
            ],
            options={
                "ordering": ["kind", "code"],
                "constraints": [models.UniqueConstraint(fields=("kind", "code"), name="remittance_code_unique")],
            },
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
