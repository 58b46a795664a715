from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_split_names_and_addresses")]

    operations = [migrations.RemoveField(model_name="location", name="address")]
