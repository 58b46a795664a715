"""PostgreSQL sequences (one set per practice schema) for the numbers that must never repeat:
ISA13, GS06 and ST02 of the 837P envelopes, patient control numbers (CLM01) and line control
numbers (REF*6R). A sequence hands out each value once, whatever rolls back and however many
connections ask at the same moment (see practica.claims.numbers)."""

from django.db import migrations

SEQUENCES = {
    "claims_isa_control_seq": 999999999,
    "claims_gs_control_seq": 999999999,
    "claims_st_control_seq": 999999999,
    "claims_patient_control_seq": 9223372036854775807,
    "claims_line_control_seq": 9223372036854775807,
}


class Migration(migrations.Migration):
    dependencies = [("claims", "0002_initial")]

    operations = [
        migrations.RunSQL(
            f"CREATE SEQUENCE {name} AS bigint MINVALUE 1 MAXVALUE {maximum} NO CYCLE",
            f"DROP SEQUENCE {name}",
        )
        for name, maximum in SEQUENCES.items()
    ]
