from django.db import migrations

# The insurance ledger is append-only: the database itself refuses to change or remove an entry.
SQL = """
CREATE OR REPLACE FUNCTION remittance_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'insurance ledger entries are append-only; post a counter-entry instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER remittance_insuranceledgerentry_append_only
    BEFORE UPDATE OR DELETE ON remittance_insuranceledgerentry
    FOR EACH ROW EXECUTE FUNCTION remittance_ledger_append_only();
CREATE TRIGGER remittance_insuranceledgerentry_no_truncate
    BEFORE TRUNCATE ON remittance_insuranceledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION remittance_ledger_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS remittance_insuranceledgerentry_no_truncate ON remittance_insuranceledgerentry;
DROP TRIGGER IF EXISTS remittance_insuranceledgerentry_append_only ON remittance_insuranceledgerentry;
"""


class Migration(migrations.Migration):
    dependencies = [("remittance", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
