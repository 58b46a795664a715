"""Providers' display names into first and last names; locations' one-line addresses into lines,
city, state and ZIP (practica.core.names: nothing is dropped; what cannot be placed stays in the
first lines)."""

from django.db import migrations

from practica.core.names import split_address, split_person_name


def split(apps, schema_editor):
    Provider = apps.get_model("scheduling", "Provider")
    Location = apps.get_model("scheduling", "Location")
    for provider in Provider.objects.filter(last_name=""):
        name = split_person_name(provider.display_name, drop_credentials=True)
        provider.first_name = " ".join(part for part in (name.first, name.middle) if part)[:35]
        provider.last_name = name.last[:60]
        provider.save(update_fields=["first_name", "last_name"])
    for location in Location.objects.exclude(address=""):
        address = split_address(location.address)
        location.address_line1 = address.line1[:55]
        location.address_line2 = address.line2[:55]
        location.city = address.city[:30]
        location.state = address.state
        location.postal_code = address.postal_code
        location.save(update_fields=["address_line1", "address_line2", "city", "state", "postal_code"])


def join(apps, schema_editor):
    Location = apps.get_model("scheduling", "Location")
    for location in Location.objects.all():
        city_line = " ".join(part for part in (location.state, location.postal_code) if part)
        city_line = ", ".join(part for part in (location.city, city_line) if part)
        parts = (location.address_line1, location.address_line2, city_line)
        location.address = ", ".join(part for part in parts if part)
        location.save(update_fields=["address"])


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0003_billing_identity")]

    operations = [migrations.RunPython(split, join)]
