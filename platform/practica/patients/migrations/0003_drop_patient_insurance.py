"""PatientInsurance is gone: insurance 0002 made each row the patient's primary Coverage (card
photos keep their files), and the portal, intake and back office read and write coverages."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_profile"),
        ("insurance", "0002_from_patient_insurance"),
    ]

    operations = [migrations.DeleteModel(name="PatientInsurance")]
