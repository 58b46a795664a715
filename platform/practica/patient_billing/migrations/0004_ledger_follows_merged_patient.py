from django.db import migrations

# Still append-only, but for one change: when two records of one patient are merged
# (practica.patients.merge), the duplicate's entries are moved to the record kept. An UPDATE that
# changes nothing but the patient is let through; every other change or a delete is refused.
SQL = """
CREATE OR REPLACE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'patient_id') = (to_jsonb(OLD) - 'patient_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ledger entries are append-only; post an adjustment instead';
END;
$$ LANGUAGE plpgsql;
"""

REVERSE = """
CREATE OR REPLACE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only; post an adjustment instead';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_deposit_holds")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
