"""The place-of-service codes (practica.codesets.places), so every database has them from the start;
`manage.py load_codesets` keeps them up to date."""

from django.db import migrations

from practica.codesets.places import PLACES_OF_SERVICE


def load(apps, schema_editor):
    PlaceOfService = apps.get_model("codesets", "PlaceOfService")
    for code, label, telehealth in PLACES_OF_SERVICE:
        PlaceOfService.objects.update_or_create(code=code, defaults={"label": label, "telehealth": telehealth})


class Migration(migrations.Migration):
    dependencies = [("codesets", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
