"""Numbers that replied STOP before opt-outs went through notifications.consent: the patients with
such a number no longer show SMS consent (sends skipped them already), as a STOP now does."""

from typing import Any

from django.db import migrations


def withdraw_consent_of_opted_out_numbers(apps: Any, schema_editor: Any) -> None:
    SmsOptOut = apps.get_model("notifications", "SmsOptOut")
    PatientProfile = apps.get_model("patients", "PatientProfile")
    numbers = SmsOptOut.objects.values_list("phone", flat=True)
    PatientProfile.objects.filter(patient__phone__in=numbers, sms_consent=True).update(sms_consent=False)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_outbox_for_everything"),
        ("patients", "0004_phones_e164"),  # phones in E.164, as opt-outs are
    ]

    operations = [migrations.RunPython(withdraw_consent_of_opted_out_numbers, migrations.RunPython.noop)]
