"""Claims as the X12 writer takes them: the practice's models turned into `practica.x12.claim837`
dataclasses, one `Interchange` per submission batch (one payer, one ISA/GS/ST).

Reads only: `claims_to_send` loads everything a batch needs in a fixed number of queries whatever
the number of claims (a test pins it), and the builders below touch no database. The envelope's
control numbers come from the caller (practica.claims.numbers), so they are allocated once, in the
transaction that records the batch.

What is sent is what the scrubber checked: no value is invented here. A value the writer cannot
carry (a missing address, a delimiter in a name) is refused by `write_837p`, naming the claim.
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import cast

from django.db.models import Prefetch, QuerySet

from practica.claims.models import BillingProfile, Claim, ClaimLine, FrequencyCode
from practica.claims.numbers import EnvelopeNumbers
from practica.insurance.models import Coverage, Payer, Priority, Relationship
from practica.patients.models import Patient
from practica.scheduling.models import Location, Provider
from practica.x12 import claim837 as x12

_RESPONSIBILITY: dict[str, x12.PayerResponsibility] = {
    Priority.PRIMARY: "P",
    Priority.SECONDARY: "S",
    Priority.TERTIARY: "T",
}


def claims_to_send(claims: QuerySet[Claim]) -> list[Claim]:
    """The claims with everything their 837P says: payer, coverage, patient and address, the
    encounter's providers and location, and the lines (two queries in all)."""
    return list(
        claims.select_related(
            "payer",
            "coverage",
            "patient",
            "patient__profile",
            "encounter__rendering_provider",
            "encounter__referring_provider",
            "encounter__location",
        )
        .prefetch_related(Prefetch("lines", queryset=ClaimLine.objects.order_by("line_number")))
        .order_by("patient_control_number")
    )


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _sex(value: str) -> x12.Sex:
    # X12's DMG03 knows F, M and U only; "other" is sent as unknown.
    if value == "F":
        return "F"
    if value == "M":
        return "M"
    return "U"


def _address(line1: str, line2: str, city: str, state: str, postal_code: str) -> x12.Address | None:
    if not line1:
        return None
    return x12.Address(
        line1=line1.strip(),
        line2=line2.strip(),
        city=city.strip(),
        state=state.strip().upper(),
        postal_code=_digits(postal_code),
    )


def _patient_address(patient: Patient) -> x12.Address | None:
    profile = getattr(patient, "profile", None)
    if profile is None:
        return None
    return _address(
        profile.address_line1, profile.address_line2, profile.city, profile.state, profile.postal_code
    )


def _subscriber_address(coverage: Coverage) -> x12.Address | None:
    return _address(
        coverage.subscriber_address_line1,
        coverage.subscriber_address_line2,
        coverage.subscriber_city,
        coverage.subscriber_state,
        coverage.subscriber_postal_code,
    )


def billing_provider(profile: BillingProfile) -> x12.BillingProvider:
    """Loop 2000A/2010AA/2010AB: the practice billing under its group NPI and EIN."""
    pay_to = None
    if profile.has_pay_to_address:
        pay_to = _address(
            profile.pay_to_address_line1,
            profile.pay_to_address_line2,
            profile.pay_to_city,
            profile.pay_to_state,
            profile.pay_to_postal_code,
        )
    address = _address(
        profile.address_line1, profile.address_line2, profile.city, profile.state, profile.postal_code
    )
    return x12.BillingProvider(
        name=x12.Name.of_organization(profile.legal_name.strip()),
        npi=profile.group_npi,
        address=address or x12.Address(line1="", city="", state="", postal_code=""),
        tax_id=profile.ein,
        taxonomy=profile.taxonomy,
        pay_to_address=pay_to,
    )


def _provider(provider: Provider | None) -> x12.Provider | None:
    if provider is None:
        return None
    last = provider.last_name or provider.display_name
    return x12.Provider(
        name=x12.Name(last=last.strip(), first=provider.first_name.strip()),
        npi=provider.npi,
        taxonomy=provider.taxonomy,
    )


def _referring(claim: Claim) -> x12.Provider | None:
    encounter = claim.encounter
    if encounter.referring_provider_id:
        referring = _provider(encounter.referring_provider)
        # Loop 2310A sends no taxonomy.
        return x12.Provider(name=referring.name, npi=referring.npi) if referring else None
    if encounter.referring_npi:
        return x12.Provider(
            name=x12.Name(
                last=encounter.referring_last_name.strip(), first=encounter.referring_first_name.strip()
            ),
            npi=encounter.referring_npi,
        )
    return None


def _service_facility(location: Location, billing: x12.BillingProvider) -> x12.ServiceFacility | None:
    """Loop 2310C, sent when the visit was somewhere else than the billing address."""
    address = _address(
        location.address_line1, location.address_line2, location.city, location.state, location.postal_code
    )
    if address is None:
        return None
    if (address.line1.upper(), address.postal_code[:5]) == (
        billing.address.line1.upper(),
        billing.address.postal_code[:5],
    ):
        return None
    return x12.ServiceFacility(name=location.name.strip(), address=address, npi=location.npi)


def _payer(payer: Payer, clearinghouse: str) -> x12.Payer:
    return x12.Payer(
        name=payer.name.strip(),
        payer_id=payer.payer_id_for(clearinghouse),
        address=_address(
            payer.address_line1, payer.address_line2, payer.city, payer.state, payer.postal_code
        ),
    )


def _coverage(claim: Claim, payer: x12.Payer) -> tuple[x12.Coverage, x12.Patient | None]:
    """Loop 2000B (the subscriber and the payer) and, when the patient is not the subscriber,
    loop 2000C."""
    coverage, patient = claim.coverage, claim.patient
    self_insured = coverage.relationship == Relationship.SELF
    patient_address = _patient_address(patient)
    subscriber_address = _subscriber_address(coverage) or (patient_address if self_insured else None)
    sex = coverage.subscriber_sex or (patient.sex if self_insured else "")
    birth_date = coverage.subscriber_date_of_birth or (patient.date_of_birth if self_insured else None)
    subscriber = x12.Subscriber(
        name=x12.Name(
            last=(coverage.subscriber_last_name or (patient.last_name if self_insured else "")).strip(),
            first=(coverage.subscriber_first_name or (patient.first_name if self_insured else "")).strip(),
            middle=coverage.subscriber_middle_name.strip(),
            suffix=coverage.subscriber_suffix.strip(),
        ),
        member_id=coverage.member_id.strip(),
        birth_date=birth_date,
        sex=_sex(sex) if birth_date else None,
        address=subscriber_address,
    )
    x12_coverage = x12.Coverage(
        payer=payer,
        subscriber=subscriber,
        claim_filing_indicator=claim.payer.claim_filing_indicator,
        payer_responsibility=_RESPONSIBILITY.get(coverage.priority, "P"),
        group_number=coverage.group_number.strip(),
        group_name=coverage.group_name.strip(),
    )
    if self_insured:
        return x12_coverage, None
    dependent = x12.Patient(
        name=x12.Name(last=patient.last_name.strip(), first=patient.first_name.strip()),
        relationship=coverage.relationship,
        birth_date=patient.date_of_birth,
        sex=_sex(patient.sex),
        address=patient_address
        or subscriber_address
        or x12.Address(line1="", city="", state="", postal_code=""),
    )
    return x12_coverage, dependent


def _lines(claim: Claim) -> tuple[x12.ServiceLine, ...]:
    return tuple(
        x12.ServiceLine(
            procedure_code=line.procedure_code,
            charge=Decimal(line.charge_cents) / 100,
            service_date=line.date_of_service,
            diagnosis_pointers=tuple(line.diagnosis_pointers),
            modifiers=tuple(line.modifiers),
            units=Decimal(line.units),
            place_of_service=line.place_of_service
            if line.place_of_service and line.place_of_service != claim.place_of_service
            else "",
            control_number=line.line_control_number,
        )
        for line in claim.lines.all()
    )


def build_claim(claim: Claim, billing: x12.BillingProvider, clearinghouse: str) -> x12.Claim:
    """One claim (loop 2300 and its lines), from a claim loaded by `claims_to_send`."""
    coverage, dependent = _coverage(claim, _payer(claim.payer, clearinghouse))
    encounter = claim.encounter
    corrected = claim.frequency_code != FrequencyCode.ORIGINAL
    return x12.Claim(
        billing_provider=billing,
        coverage=coverage,
        patient=dependent,
        patient_control_number=claim.patient_control_number,
        place_of_service=claim.place_of_service,
        frequency=cast(x12.Frequency, claim.frequency_code),  # the model's choices are 1, 7 and 8
        original_claim_number=claim.original_claim_number if corrected else "",
        diagnoses=tuple(claim.diagnosis_codes),
        lines=_lines(claim),
        prior_authorization=claim.prior_authorization_number,
        referring_provider=_referring(claim),
        rendering_provider=_provider(encounter.rendering_provider),
        service_facility=_service_facility(encounter.location, billing),
    )


def build_interchange(
    profile: BillingProfile,
    claims: Sequence[Claim],
    numbers: EnvelopeNumbers,
    created: datetime.datetime,
    *,
    reference: str,
) -> x12.Interchange:
    """One 837P file: the claims (all to one payer) in one transaction set. `created` is the
    practice's local time, naive, as X12 writes it."""
    billing = billing_provider(profile)
    contact = x12.Contact(
        name=profile.submitter_contact_name.strip(),
        phone=_digits(profile.submitter_contact_phone or profile.phone),
        email=profile.submitter_contact_email.strip(),
    )
    transaction = x12.ClaimTransaction(
        control_number=numbers.st,
        reference=reference,
        created=created,
        submitter=x12.Submitter(
            name=x12.Name.of_organization(profile.submitter_name.strip()),
            identifier=profile.submitter_id.strip(),
            contact=contact,
        ),
        receiver=x12.Receiver(name=profile.receiver_name.strip(), identifier=profile.receiver_id.strip()),
        claims=tuple(build_claim(claim, billing, profile.clearinghouse) for claim in claims),
    )
    return x12.Interchange(
        sender=x12.InterchangeParty(profile.isa_sender_id.strip(), profile.isa_sender_qualifier),
        receiver=x12.InterchangeParty(profile.isa_receiver_id.strip(), profile.isa_receiver_qualifier),
        application_sender=(profile.gs_sender_code or profile.isa_sender_id).strip(),
        application_receiver=(profile.gs_receiver_code or profile.isa_receiver_id).strip(),
        control_number=numbers.isa,
        group_control_number=numbers.gs,
        created=created,
        transactions=(transaction,),
        usage="P" if profile.usage_indicator == "P" else "T",
    )


def by_payer(claims: Iterable[Claim]) -> dict[Payer, list[Claim]]:
    """Claims grouped by payer, in the order each payer first appears."""
    grouped: dict[Payer, list[Claim]] = {}
    for claim in claims:
        grouped.setdefault(claim.payer, []).append(claim)
    return grouped
