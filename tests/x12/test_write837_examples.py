"""The implementation guide's own 837P examples (badx12 0.2.2's copies), rebuilt from dataclasses
holding their data: the writer gives them back segment for segment, envelopes included."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

from practica.x12.claim837 import (
    Address,
    BillingProvider,
    Claim,
    ClaimTransaction,
    Contact,
    Coverage,
    Interchange,
    InterchangeParty,
    Name,
    Patient,
    Payer,
    Receiver,
    Separators,
    ServiceFacility,
    ServiceLine,
    Submitter,
    Subscriber,
)
from practica.x12.write837 import write_837p
from tests.x12.validators import pyx12_validate

MIAMI_33111 = {"city": "MIAMI", "state": "FL", "postal_code": "33111"}
SUBMITTER = Submitter(
    name=Name.of_organization("PREMIER BILLING SERVICE"),
    identifier="TGJ23",
    contact=Contact(name="JERRY", phone="3055552222", phone_extension="231"),
)
BILLING = BillingProvider(
    name=Name.of_organization("BEN KILDARE SERVICE"),
    npi="9876543210",  # the example's NPI (its check digit is wrong: the scrubber's concern, not X12's)
    address=Address(line1="234 SEAWAY ST", **MIAMI_33111),
    tax_id="587654321",
    taxonomy="203BF0100Y",
    pay_to_address=Address(line1="2345 OCEAN BLVD", **MIAMI_33111),
)


def lines(second_code: str) -> tuple[ServiceLine, ...]:
    october_3, october_10 = dt.date(2006, 10, 3), dt.date(2006, 10, 10)
    return (
        ServiceLine("99213", Decimal(40), october_3, diagnosis_pointers=(1,)),
        ServiceLine(second_code, Decimal(15), october_3, diagnosis_pointers=(1,)),
        ServiceLine("99214", Decimal(35), october_10, diagnosis_pointers=(2,)),
        ServiceLine("86663", Decimal(10), october_10, diagnosis_pointers=(2,)),
    )


def example_interchange(transaction: ClaimTransaction) -> Interchange:
    return Interchange(
        sender=InterchangeParty("123456789012345"),
        receiver=InterchangeParty("123456789012346"),
        application_sender="1234567890",
        application_receiver="9876543210",
        control_number=10216,
        group_control_number=20213,
        created=dt.datetime(2006, 10, 15, 17, 5),
        transactions=(transaction,),
        separators=Separators(repetition=">"),  # ISA11 as the examples have it
    )


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def test_commercial_insurance_dependent_patient(badx12_edi: Path) -> None:
    claim = Claim(
        billing_provider=BILLING,
        coverage=Coverage(
            payer=Payer("KEY INSURANCE COMPANY", "999996666", billing_provider_secondary_id="KA6663"),
            subscriber=Subscriber(
                Name("SMITH", "JANE"), "JS00111223333", birth_date=dt.date(1943, 5, 1), sex="F"
            ),
            claim_filing_indicator="CI",
            group_number="2222-SJ",
        ),
        patient=Patient(
            name=Name("SMITH", "TED"),
            relationship="19",
            birth_date=dt.date(1973, 5, 1),
            sex="M",
            address=Address(line1="236 N MAIN  ST", city="MIAMI", state="FL", postal_code="33413"),
        ),
        patient_control_number="26463774",
        place_of_service="11",
        diagnoses=("034.0", "V73.89"),
        diagnosis_code_list="ICD-9",
        release_of_information="I",
        clearinghouse_trace="17312345600006351",
        lines=lines("87070"),
    )
    transaction = ClaimTransaction(
        control_number=21,
        reference="244579",
        created=dt.datetime(2006, 10, 15, 10, 23),
        submitter=SUBMITTER,
        receiver=Receiver("KEY INSURANCE COMPANY", "66783JJT"),
        claims=(claim,),
    )
    written = write_837p(example_interchange(transaction))

    expected = (badx12_edi / "X222-commercial-health-insurance.edi").read_text()
    assert segments(written) == segments(expected)
    assert pyx12_validate(written).valid


def test_encounter(badx12_edi: Path) -> None:
    subscriber = Subscriber(
        Name("SMITH", "TED"),
        "00221111",
        birth_date=dt.date(1943, 5, 1),
        sex="M",
        address=Address(line1="236 N MAIN ST", city="MIAMI", state="FL", postal_code="33413"),
    )
    claim = Claim(
        billing_provider=BILLING,
        coverage=Coverage(
            payer=Payer("ALLIANCE HEALTH AND LIFE INSURANCE", "741234"),
            subscriber=subscriber,
            claim_filing_indicator="HM",
            group_number="12312-A",
        ),
        patient_control_number="26462967",
        place_of_service="11",
        diagnoses=("0340", "V7389"),
        diagnosis_code_list="ICD-9",
        release_of_information="I",
        onset_date=dt.date(1998, 10, 3),
        clearinghouse_trace="17312345600006351",
        service_facility=ServiceFacility(
            "KILDARE ASSOCIATES", Address(line1="2345 OCEAN BLVD", **MIAMI_33111), npi="5812345679"
        ),
        lines=lines("87072"),
    )
    transaction = ClaimTransaction(
        control_number=21,
        reference="0123",
        created=dt.datetime(2006, 10, 15, 10, 23),
        submitter=SUBMITTER,
        receiver=Receiver("AHLIC", "66783JJT"),
        claims=(claim,),
        kind="RP",
    )
    written = write_837p(example_interchange(transaction))

    expected = (badx12_edi / "X222-encounter.edi").read_text()
    assert segments(written) == segments(expected)
