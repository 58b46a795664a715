"""Phone numbers in one form: every patient's phone and emergency phone that can be read becomes
E.164 ("(512) 555-0100" -> "+15125550100"), in every practice's schema as it is migrated. A number
that cannot be read is kept as typed (nothing is dropped); `manage.py list_unnormalised_phones`
lists those. Inbound texts then find their patient through an index on the phone."""

from typing import Any

from django.db import migrations, models

import practica.patients.phones
from practica.patients.phones import stored_form


def normalise_existing(apps: Any, schema_editor: Any) -> None:
    Patient = apps.get_model("patients", "Patient")
    PatientProfile = apps.get_model("patients", "PatientProfile")
    for model, field in ((Patient, "phone"), (PatientProfile, "emergency_phone")):
        rows = model.objects.exclude(**{field: ""}).values_list("pk", field)
        for pk, value in rows.iterator():
            normalised = stored_form(value)
            if normalised != value:
                model.objects.filter(pk=pk).update(**{field: normalised})


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_drop_patient_insurance"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patient",
            name="phone",
            field=practica.patients.phones.PhoneNumberField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="patientprofile",
            name="emergency_phone",
            field=practica.patients.phones.PhoneNumberField(
                blank=True, max_length=20, verbose_name="Emergency contact phone"
            ),
        ),
        migrations.RunPython(normalise_existing, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["phone"], name="patient_phone_idx"),
        ),
    ]
