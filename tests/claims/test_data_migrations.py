"""The data migrations that carry older records into the claim-ready models: one-string insurance
policies into coverages, provider display names and one-line location addresses into their parts.

A throwaway schema is migrated to just before those migrations, rows are planted the old way, the
rest of the migrations run, and each test reads its part of the result. A transaction around the
module removes the schema."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from practica.core.names import split_address, split_person_name
from practica.core.tenancy import use_public_schema

SCHEMA = "p_data_migration_probe"


def migrate(*target: str) -> None:
    call_command("migrate_schemas", *target, tenant=True, schema_name=SCHEMA, interactive=False, verbosity=0)
    use_public_schema()


def sql(statement: str, params: list[str] | None = None) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{SCHEMA}", public')
        cursor.execute(statement, params or [])
        rows = cursor.fetchall() if cursor.description else []
        cursor.execute("SET search_path TO public")
    return rows


PATIENTS = {
    "self": ("11111111-1111-1111-1111-111111111111", "Ana", "Ortiz", "F"),
    "child": ("22222222-2222-2222-2222-222222222222", "Leo", "Ortiz", "M"),
}


@pytest.fixture(scope="module")
def migrated_probe(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Both tests' old rows planted in one schema at the old migrations, then the rest of the
    migrations run once (a migration run takes seconds); all rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{SCHEMA}"')
        migrate("insurance", "0001_initial")
        migrate("scheduling", "0003_billing_identity")
        plant_policies()
        plant_providers_and_locations()
        # The planted rows' deferred foreign-key checks must run before a later migration drops a table.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        migrate()
        yield
        transaction.set_rollback(True)
    use_public_schema()


def plant_policies() -> None:
    sql(
        "INSERT INTO insurance_payer (id, name, payer_ids, claim_filing_indicator, timely_filing_days,"
        " requires_referring_provider, requires_prior_authorization, requires_taxonomy, address_line1,"
        " address_line2, city, state, postal_code, is_active, created_at, updated_at) VALUES"
        " ('00000000-0000-0000-0000-00000000000a', 'Aetna', '{}', 'CI', 180, false, false, false,"
        " '', '', '', '', '', true, now(), now())"
    )
    for pid, first, last, sex in PATIENTS.values():
        sql(
            "INSERT INTO patients_patient (id, first_name, last_name, date_of_birth, sex, email, phone,"
            " created_at, updated_at) VALUES (%s, %s, %s, '1985-02-03', %s, '', '', now(), now())",
            [pid, first, last, sex],
        )
    sql(
        "INSERT INTO patients_patientprofile (patient_id, address_line1, address_line2, city, state,"
        " postal_code, preferred_language, sms_consent, email_consent, emergency_name,"
        " emergency_relation, emergency_phone, updated_at) VALUES (%s, '4 Elm St', '', 'Springfield',"
        " 'il', '62704-1234', 'en', false, false, '', '', '', now())",
        [PATIENTS["self"][0]],
    )
    columns = (
        "patient_id, payer, member_id, group_number, subscriber_name, subscriber_relationship,"
        " card_front, card_front_content_type, card_back, card_back_content_type, updated_at"
    )
    sql(
        f"INSERT INTO patients_patientinsurance ({columns}) VALUES (%s, 'AETNA, Inc.', 'W123', 'G9', "  # noqa: S608
        "'Ana Ortiz', 'self', 'insurance-cards/x/front', 'image/png', '', '', now())",
        [PATIENTS["self"][0]],
    )
    sql(
        f"INSERT INTO patients_patientinsurance ({columns}) VALUES (%s, 'Blue Lake Health Plan', "  # noqa: S608
        "'BL-77', '', 'Ortiz, Ana Maria', 'child', '', '', '', '', now())",
        [PATIENTS["child"][0]],
    )


def plant_providers_and_locations() -> None:
    sql(
        "INSERT INTO scheduling_location (id, name, address, address_line1, address_line2, city, state,"
        " postal_code, place_of_service, npi, phone, time_zone, is_active) VALUES"
        " ('33333333-3333-3333-3333-333333333333', 'Main', '12 Main St, Suite 4, Springfield, IL"
        " 62704-1234', '', '', '', '', '', '11', '', '', 'UTC', true),"
        " ('44444444-4444-4444-4444-444444444444', 'Annex', 'Back of the pharmacy', '', '', '', '',"
        " '', '11', '', '', 'UTC', true)"
    )
    sql(
        "INSERT INTO scheduling_provider (id, display_name, first_name, last_name, npi, credentials,"
        " taxonomy, is_active, feed_token) VALUES ('55555555-5555-5555-5555-555555555555',"
        " 'Dr. Rosa M. Patel, MD', '', '', '1234567893', 'MD', '', true, '')"
    )


def test_insurance_policies_become_primary_coverages_with_nothing_dropped(
    migrated_probe: None, db: None
) -> None:
    rows = sql(
        "SELECT patient_id::text, priority, payer_id::text, unmapped_payer_name, member_id, group_number,"
        " relationship, subscriber_first_name, subscriber_middle_name, subscriber_last_name,"
        " subscriber_date_of_birth::text, subscriber_sex, subscriber_address_line1, subscriber_city,"
        " subscriber_state, subscriber_postal_code, card_front, card_front_content_type, is_active"
        " FROM insurance_coverage ORDER BY member_id"
    )
    assert rows == [
        (
            PATIENTS["child"][0], "primary", None, "Blue Lake Health Plan", "BL-77", "", "19",
            "Ana", "Maria", "Ortiz", None, "U", "", "", "", "", "", "", True,
        ),
        (
            PATIENTS["self"][0], "primary", "00000000-0000-0000-0000-00000000000a", "", "W123", "G9", "18",
            "Ana", "", "Ortiz", "1985-02-03", "F", "4 Elm St", "Springfield", "IL", "627041234",
            "insurance-cards/x/front", "image/png", True,
        ),
    ]  # fmt: skip


def test_provider_names_and_location_addresses_are_split(migrated_probe: None, db: None) -> None:
    assert sql(
        "SELECT name, address_line1, address_line2, city, state, postal_code FROM scheduling_location"
        " ORDER BY name"
    ) == [
        ("Annex", "Back of the pharmacy", "", "", "", ""),
        ("Main", "12 Main St", "Suite 4", "Springfield", "IL", "627041234"),
    ]
    assert sql("SELECT first_name, last_name FROM scheduling_provider") == [("Rosa M.", "Patel")]


@pytest.mark.parametrize(
    ("text", "first", "middle", "last", "suffix"),
    [
        ("Ana Ortiz", "Ana", "", "Ortiz", ""),
        ("Ortiz, Ana M.", "Ana", "M.", "Ortiz", ""),
        ("Mary Ann Smith Jr.", "Mary", "Ann", "Smith", "Jr."),
        ("John Q Public, Jr.", "John", "Q", "Public", "Jr."),
        ("Cher", "", "", "Cher", ""),
        ("  ", "", "", "", ""),
    ],
)
def test_person_names_split_into_parts(text: str, first: str, middle: str, last: str, suffix: str) -> None:
    name = split_person_name(text)
    assert (name.first, name.middle, name.last, name.suffix) == (first, middle, last, suffix)


def test_provider_credentials_and_titles_are_not_names() -> None:
    name = split_person_name("Dr. Lee Chen, MD, FACP", drop_credentials=True)
    assert (name.first, name.last) == ("Lee", "Chen")


def test_an_address_without_a_city_line_stays_whole() -> None:
    address = split_address("Unit 9 at the back of the old mill on the river road past the bridge")
    assert address.line1 == "Unit 9 at the back of the old mill on the river road"
    assert address.line2 == "past the bridge"
    assert (address.city, address.state, address.postal_code) == ("", "", "")
    assert split_address("5 Oak Ave, Portland OR 97201").city == "Portland"
