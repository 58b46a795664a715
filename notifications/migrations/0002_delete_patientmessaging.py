# The patient's language now lives on patients.PatientProfile (nothing ever set this copy).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="PatientMessaging"),
    ]
