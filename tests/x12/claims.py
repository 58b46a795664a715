"""Claim dataclasses for the X12 tests and the 837P benchmark: plausible, deterministic, valid NPIs."""

import datetime as dt
from decimal import Decimal

from practica.x12.claim837 import (
    Address,
    BillingProvider,
    Claim,
    ClaimTransaction,
    Contact,
    Coverage,
    Frequency,
    Interchange,
    InterchangeParty,
    Name,
    Patient,
    Payer,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)

CREATED = dt.datetime(2026, 3, 2, 14, 30)
SERVICE_DATE = dt.date(2026, 2, 27)
DIAGNOSES = ("E11.9", "I10", "J06.9", "M54.50", "Z00.00", "R51.9")
PROCEDURES = (
    ("99213", Decimal("125.00")),
    ("99214", Decimal("180.00")),
    ("36415", Decimal("12.50")),
    ("81003", Decimal("9.75")),
    ("93000", Decimal("45.00")),
)


def npi(base: int) -> str:
    """A ten-digit NPI with a valid check digit (Luhn over 80840 + the first nine digits)."""
    digits = f"80840{base:09d}"
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return f"{base:09d}{(10 - total % 10) % 10}"


SUBMITTER = Submitter(
    name=Name.of_organization("RIVERSIDE FAMILY MEDICINE"),
    identifier="RFM0001",
    contact=Contact(
        name="BILLING OFFICE", phone="5035550100", phone_extension="12", email="billing@riverside.example"
    ),
)
RECEIVER = Receiver(name="CLEARINGHOUSE", identifier="CLEARHOUSE01")
BILLING = BillingProvider(
    name=Name.of_organization("RIVERSIDE FAMILY MEDICINE"),
    npi=npi(123456789),
    address=Address(
        line1="100 MAIN ST", line2="SUITE 200", city="PORTLAND", state="OR", postal_code="972041234"
    ),
    tax_id="123456789",
    taxonomy="207Q00000X",
    pay_to_address=Address(line1="PO BOX 5000", city="PORTLAND", state="OR", postal_code="972085000"),
)
RENDERING = Provider(
    name=Name(last="RIVERA", first="ANA", middle="M"), npi=npi(234567891), taxonomy="207Q00000X"
)
REFERRING = Provider(name=Name(last="OKAFOR", first="JAMES"), npi=npi(345678912))


def payer(i: int) -> Payer:
    return Payer(name=f"HEALTH PLAN {i:02d}", payer_id=f"PAYER{i:03d}")


def subscriber(i: int) -> Subscriber:
    return Subscriber(
        name=Name(last=f"DOE{i}", first="JANE"),
        member_id=f"MBR{i:07d}",
        birth_date=dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
        sex="F",
        address=Address(line1=f"{10 + i} ELM ST", city="PORTLAND", state="OR", postal_code="97205"),
    )


def claim(
    i: int,
    *,
    payer_index: int = 1,
    dependent: bool = False,
    frequency: Frequency = "1",
    original_claim_number: str = "",
    lines: int = 2,
    diagnoses: int = 2,
) -> Claim:
    """Claim number `i`: patient control number PCN<i>, lines with REF*6R <pcn>-<n>."""
    sub = subscriber(i)
    coverage = Coverage(
        payer=payer(payer_index),
        subscriber=sub if not dependent else Subscriber(name=sub.name, member_id=sub.member_id),
        claim_filing_indicator="CI",
        group_number=f"GRP{payer_index:04d}",
    )
    patient = None
    if dependent:
        patient = Patient(
            name=Name(last=f"DOE{i}", first="SAM"),
            relationship="19",
            birth_date=dt.date(2012, 5, 1 + i % 28),
            sex="M",
            address=sub.address
            or Address(line1="1 ELM ST", city="PORTLAND", state="OR", postal_code="97205"),
        )
    pcn = f"PCN{i:06d}"
    service_lines = tuple(
        ServiceLine(
            procedure_code=PROCEDURES[(i + n) % len(PROCEDURES)][0],
            charge=PROCEDURES[(i + n) % len(PROCEDURES)][1],
            service_date=SERVICE_DATE,
            diagnosis_pointers=tuple(range(1, min(diagnoses, 4) + 1)) if n == 0 else (1,),
            modifiers=("25",) if n == 0 and i % 3 == 0 else (),
            control_number=f"{pcn}-{n + 1}",
        )
        for n in range(lines)
    )
    return Claim(
        billing_provider=BILLING,
        coverage=coverage,
        patient=patient,
        patient_control_number=pcn,
        place_of_service="11",
        frequency=frequency,
        original_claim_number=original_claim_number,
        diagnoses=tuple(DIAGNOSES[(i + d) % len(DIAGNOSES)] for d in range(diagnoses)),
        lines=service_lines,
        prior_authorization="AUTH77" if i % 5 == 0 else "",
        rendering_provider=RENDERING,
        referring_provider=REFERRING if i % 4 == 0 else None,
    )


def transaction(control_number: int, claims: tuple[Claim, ...]) -> ClaimTransaction:
    return ClaimTransaction(
        control_number=control_number,
        reference=f"BATCH{control_number}",
        created=CREATED,
        submitter=SUBMITTER,
        receiver=RECEIVER,
        claims=claims,
    )


def interchange(*transactions: ClaimTransaction, control_number: int = 101) -> Interchange:
    return Interchange(
        sender=InterchangeParty("RFM0001"),
        receiver=InterchangeParty("CLEARHOUSE01"),
        application_sender="RFM0001",
        application_receiver="CLEARHOUSE01",
        control_number=control_number,
        group_control_number=control_number,
        created=CREATED,
        transactions=transactions,
    )


def batches_by_payer(claims: list[Claim], first_control_number: int = 1) -> tuple[ClaimTransaction, ...]:
    """One transaction set per payer, as the claims app sends them."""
    by_payer: dict[Payer, list[Claim]] = {}
    for c in claims:
        by_payer.setdefault(c.coverage.payer, []).append(c)
    return tuple(
        transaction(first_control_number + n, tuple(group)) for n, group in enumerate(by_payer.values())
    )
