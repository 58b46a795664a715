from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def withdraw_offers_of_cancelled_entries(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Entries taken off the list before leaving withdrew their offers kept them claimable."""
    offer = apps.get_model("scheduling", "WaitlistOffer")
    offer.objects.filter(status="open", entry__status="cancelled").update(status="withdrawn")


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0005_drop_location_address"),
    ]

    operations = [
        migrations.AlterField(
            model_name="waitlistoffer",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Open"),
                    ("claimed", "Claimed"),
                    ("gone", "Taken by someone else"),
                    ("expired", "Expired"),
                    ("withdrawn", "Withdrawn: the patient left the waitlist"),
                ],
                default="open",
                max_length=9,
            ),
        ),
        migrations.RunPython(withdraw_offers_of_cancelled_entries, migrations.RunPython.noop),
    ]
