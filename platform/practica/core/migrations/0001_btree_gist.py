from django.db import migrations

# In the public schema, so every practice schema (search_path: practice, public) sees the
# operator classes its exclusion constraints need.
CREATE = "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public"


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunSQL(CREATE, migrations.RunSQL.noop)]
