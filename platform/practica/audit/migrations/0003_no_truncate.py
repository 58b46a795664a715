from django.db import migrations

# Row triggers do not fire on TRUNCATE; a statement trigger closes that door too.
FORBID = """
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_append_only();
"""

ALLOW = "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;"


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunSQL(FORBID, ALLOW)]
