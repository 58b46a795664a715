"""Numbers that must never repeat within a practice, from PostgreSQL sequences in its schema
(migration claims 0003): the 837P envelope's ISA13, GS06 and ST02, patient control numbers (CLM01,
echoed in the 835's CLP01) and line control numbers (REF*6R, echoed per service line).

A sequence hands each value out once: two connections asking at the same moment get different
values without waiting for each other, and a transaction that rolls back does not give its value
back, so a number written into a file that was then abandoned is never used again. Gaps are fine;
repeats are not."""

from dataclasses import dataclass

from django.db import connection

ISA = "claims_isa_control_seq"
GS = "claims_gs_control_seq"
ST = "claims_st_control_seq"
PATIENT_CONTROL = "claims_patient_control_seq"
LINE_CONTROL = "claims_line_control_seq"
_SEQUENCES = {ISA, GS, ST, PATIENT_CONTROL, LINE_CONTROL}


def next_values(sequence: str, count: int = 1) -> list[int]:
    """`count` fresh values of one sequence, in one statement."""
    if sequence not in _SEQUENCES:
        raise ValueError(sequence)
    if count < 1:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
        return [int(row[0]) for row in cursor.fetchall()]


@dataclass(frozen=True)
class EnvelopeNumbers:
    """ISA13 (9 digits, zero-padded in the file), GS06 and ST02 (at least 4 digits in the file)."""

    isa: int
    gs: int
    st: int


def allocate_envelope_numbers() -> EnvelopeNumbers:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s), nextval(%s), nextval(%s)", [ISA, GS, ST])
        isa, gs, st = cursor.fetchone()
    return EnvelopeNumbers(isa=int(isa), gs=int(gs), st=int(st))


def patient_control_numbers(count: int) -> list[str]:
    """'C00000042': letters and digits only (safe in any X12 element), at most 20 characters."""
    return [f"C{value:08d}" for value in next_values(PATIENT_CONTROL, count)]


def line_control_numbers(count: int) -> list[str]:
    """'L000000042': letters and digits only, well under REF*6R's 50 characters."""
    return [f"L{value:09d}" for value in next_values(LINE_CONTROL, count)]
