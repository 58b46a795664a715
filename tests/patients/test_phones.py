"""Phone numbers in one form (E.164) on the model, the migration that normalises existing rows,
the command listing the numbers kept as typed, and the inbound SMS lookup by an index."""

import importlib
import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from notifications.inbound import patients_with
from practica.patients.models import Patient, PatientProfile
from tenants.models import Practice
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

normalise_migration = importlib.import_module("practica.patients.migrations.0004_phones_e164")


def _typed(patient: Patient, phone: str) -> None:
    """Put a number in the row as an older version of the app left it (bypassing the field)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_patient SET phone = %s WHERE id = %s", [phone, patient.pk])


def test_a_number_is_stored_in_e164_whatever_form_it_was_typed_in(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        patient = PatientFactory.create(phone="(512) 555-0100")
        assert patient.phone == "+15125550100"
        assert Patient.objects.get(pk=patient.pk).phone == "+15125550100"
        Patient.objects.filter(pk=patient.pk).update(phone="512.555.0101")  # queryset writes too
        assert Patient.objects.get(pk=patient.pk).phone == "+15125550101"
        assert Patient.objects.filter(phone="(512) 555-0101").get() == patient  # lookups too
        profile = PatientProfile.objects.create(patient=patient, emergency_phone="+44 20 7946 0958")
        assert PatientProfile.objects.get(pk=profile.pk).emergency_phone == "+442079460958"


def test_a_number_that_cannot_be_read_is_kept_as_typed(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        patient = PatientFactory.create(phone="ask at desk")
        assert Patient.objects.get(pk=patient.pk).phone == "ask at desk"


def test_the_migration_normalises_existing_rows_and_keeps_unreadable_ones(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        typed, unreadable, blank = PatientFactory.create_batch(3)
        _typed(typed, "(512) 555-0100")
        _typed(unreadable, "555-01")
        profile = PatientProfile.objects.create(patient=typed)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE patients_patientprofile SET emergency_phone = '1 (737) 555 0199' WHERE id = %s",
                [profile.pk],
            )
        normalise_migration.normalise_existing(apps, None)
        stored = dict(Patient.objects.values_list("pk", "phone"))
        assert stored[typed.pk] == "+15125550100"
        assert stored[unreadable.pk] == "555-01"
        assert stored[blank.pk] == ""
        assert PatientProfile.objects.get(pk=profile.pk).emergency_phone == "+17375550199"


def test_the_command_lists_numbers_kept_as_typed_per_practice(
    practice_a: Practice, practice_b: Practice
) -> None:
    with tenant_context(practice_a):
        rosa = PatientFactory.create(first_name="Rosa", last_name="Vega", phone="+15125550100")
        _typed(rosa, "555-01")
        PatientFactory.create(phone="(512) 555-0102")
    with tenant_context(practice_b):
        luis = PatientFactory.create(first_name="Luis", last_name="Vega")
        PatientProfile.objects.create(patient=luis, emergency_phone="ext 12")
    out = StringIO()
    call_command("list_unnormalised_phones", stdout=out)
    text = out.getvalue()
    assert f"alpha: 1 phone number(s) to correct\n  {rosa.pk}\tVega, Rosa\tphone\t555-01\n" in text
    assert f"beta: 1 phone number(s) to correct\n  {luis.pk}\tVega, Luis\temergency_phone\text 12\n" in text
    assert "+15125550102" not in text

    out = StringIO()
    call_command("list_unnormalised_phones", practice="beta", stdout=out)
    assert "alpha" not in out.getvalue() and "ext 12" in out.getvalue()
    with pytest.raises(CommandError, match="nowhere"):
        call_command("list_unnormalised_phones", practice="nowhere", stdout=StringIO())


def test_inbound_sms_finds_its_patient_by_an_index_not_a_scan(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        Patient.objects.bulk_create(
            Patient(first_name="P", last_name=str(n), date_of_birth="1980-01-01", phone=f"+1512555{n:04d}")
            for n in range(3000)
        )
        maria = PatientFactory.create(first_name="Maria", phone="(737) 555-0142")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE patients_patient")
        with CaptureQueriesContext(connection) as queries:
            assert patients_with("+17375550142") == [maria]
        assert len(queries.captured_queries) == 1  # the profile (for the reply's language) joined
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + queries.captured_queries[0]["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        # (the small profile table joined beside it may be scanned: only the patients must not be)
        assert "patient_phone_idx" in plan and not re.search(r"Seq Scan on patients_patient\b", plan), plan
