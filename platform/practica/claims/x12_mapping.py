"""Claims as the X12 writer takes them: the practice's models turned into `practica.x12.claim837`
dataclasses, one `Interchange` per submission batch (one payer, one ISA/GS/ST).

Reads only: `claims_to_send` loads everything a batch needs in a fixed number of queries whatever
the number of claims (a test pins it), and the builders below touch no database. The envelope's
control numbers come from the caller (practica.claims.numbers), so they are allocated once, in the
transaction that records the batch.

What is sent is what the scrubber checked: no value is invented here. A value the writer cannot
carry (a missing address, a delimiter in a name) is refused by `write_837p`, naming the claim.
"""

import dataclasses
import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db.models import QuerySet

from practica.claims.models import BillingProfile, Claim, ClaimLine, FrequencyCode
from practica.claims.numbers import EnvelopeNumbers
from practica.insurance.models import Payer, Priority, Relationship
from practica.scheduling.models import Location, Provider
from practica.x12 import claim837 as x12

_RESPONSIBILITY: dict[str, x12.PayerResponsibility] = {
    Priority.PRIMARY: "P",
    Priority.SECONDARY: "S",
    Priority.TERTIARY: "T",
}


_CLAIM_FIELDS = (
    "pk",
    "patient_control_number",
    "payer_id",
    "place_of_service",
    "frequency_code",
    "original_claim_number",
    "diagnosis_codes",
    "prior_authorization_number",
    "total_charge_cents",
    "encounter__rendering_provider_id",
    "encounter__referring_provider_id",
    "encounter__referring_npi",
    "encounter__referring_last_name",
    "encounter__referring_first_name",
    "encounter__location_id",
    "coverage__relationship",
    "coverage__priority",
    "coverage__member_id",
    "coverage__group_number",
    "coverage__group_name",
    "coverage__subscriber_last_name",
    "coverage__subscriber_first_name",
    "coverage__subscriber_middle_name",
    "coverage__subscriber_suffix",
    "coverage__subscriber_date_of_birth",
    "coverage__subscriber_sex",
    "coverage__subscriber_address_line1",
    "coverage__subscriber_address_line2",
    "coverage__subscriber_city",
    "coverage__subscriber_state",
    "coverage__subscriber_postal_code",
    "patient__first_name",
    "patient__last_name",
    "patient__date_of_birth",
    "patient__sex",
    "patient__profile__address_line1",
    "patient__profile__address_line2",
    "patient__profile__city",
    "patient__profile__state",
    "patient__profile__postal_code",
    "prior_claim_id",
    "prior_adjudication",
)
# The coverage of the claim the payer before adjudicated (loops 2320/2330A), named as above.
_PRIOR_FIELDS = ("pk", "payer_id", *(name for name in _CLAIM_FIELDS if name.startswith("coverage__")))
_LINE_FIELDS = (
    "claim_id",
    "procedure_code",
    "charge_cents",
    "date_of_service",
    "diagnosis_pointers",
    "modifiers",
    "units",
    "place_of_service",
    "line_control_number",
)


@dataclass(frozen=True)
class ClaimToSend:
    """One claim as its 837P needs it: the claim's, coverage's, patient's and encounter's values
    (`data`, keyed as in `_CLAIM_FIELDS`), its lines (`_LINE_FIELDS`), and the payer, providers and
    location, each loaded once however many claims share them. Plain values, not model instances:
    5,000 claims load several times faster so."""

    pk: uuid.UUID
    patient_control_number: str
    total_charge_cents: int
    payer: Payer
    rendering_provider: Provider | None
    referring_provider: Provider | None
    location: Location | None
    data: dict[str, Any]
    lines: list[dict[str, Any]]
    # A claim to the next payer: the prior claim's payer and coverage values (`_PRIOR_FIELDS`).
    prior_payer: Payer | None = None
    prior: dict[str, Any] | None = None


def claims_to_send(claims: QuerySet[Claim]) -> list[ClaimToSend]:
    """The claims with everything their 837P says, in patient control number order, in five
    queries whatever their number (claims, lines, payers, providers, locations), and a sixth when
    some go to a next payer (the prior claims' coverages)."""
    rows = list(claims.order_by("patient_control_number").values(*_CLAIM_FIELDS))
    lines: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for line in (
        ClaimLine.objects.filter(claim_id__in=[row["pk"] for row in rows])
        .order_by("claim_id", "line_number")
        .values(*_LINE_FIELDS)
    ):
        lines[line["claim_id"]].append(line)
    prior_ids = {row["prior_claim_id"] for row in rows} - {None}
    priors = (
        {row["pk"]: row for row in Claim.objects.filter(pk__in=prior_ids).values(*_PRIOR_FIELDS)}
        if prior_ids
        else {}
    )
    payers = Payer.objects.in_bulk(
        {row["payer_id"] for row in rows} | {p["payer_id"] for p in priors.values()}
    )
    provider_ids = {row["encounter__rendering_provider_id"] for row in rows}
    provider_ids |= {row["encounter__referring_provider_id"] for row in rows}
    providers = Provider.objects.in_bulk(provider_ids - {None})
    locations = Location.objects.in_bulk({row["encounter__location_id"] for row in rows})
    return [
        ClaimToSend(
            pk=row["pk"],
            patient_control_number=row["patient_control_number"],
            total_charge_cents=row["total_charge_cents"],
            payer=payers[row["payer_id"]],
            rendering_provider=providers.get(row["encounter__rendering_provider_id"]),
            referring_provider=providers.get(row["encounter__referring_provider_id"]),
            location=locations.get(row["encounter__location_id"]),
            data=row,
            lines=lines[row["pk"]],
            prior_payer=payers[priors[row["prior_claim_id"]]["payer_id"]] if row["prior_claim_id"] else None,
            prior=priors.get(row["prior_claim_id"]),
        )
        for row in rows
    ]


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


def _prefixed_address(data: dict[str, Any], prefix: str) -> x12.Address | None:
    return _address(
        data[f"{prefix}address_line1"] or "",
        data[f"{prefix}address_line2"] or "",
        data[f"{prefix}city"] or "",
        data[f"{prefix}state"] or "",
        data[f"{prefix}postal_code"] or "",
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


def _referring(claim: ClaimToSend) -> x12.Provider | None:
    if claim.referring_provider is not None:
        referring = _provider(claim.referring_provider)
        # Loop 2310A sends no taxonomy.
        return x12.Provider(name=referring.name, npi=referring.npi) if referring else None
    data = claim.data
    if data["encounter__referring_npi"]:
        return x12.Provider(
            name=x12.Name(
                last=data["encounter__referring_last_name"].strip(),
                first=data["encounter__referring_first_name"].strip(),
            ),
            npi=data["encounter__referring_npi"],
        )
    return None


def _service_facility(location: Location | None, billing: x12.BillingProvider) -> x12.ServiceFacility | None:
    """Loop 2310C, sent when the visit was somewhere else than the billing address."""
    if location is None:
        return None
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


def _coverage(claim: ClaimToSend, payer: x12.Payer) -> tuple[x12.Coverage, x12.Patient | None]:
    """Loop 2000B (the subscriber and the payer) and, when the patient is not the subscriber,
    loop 2000C."""
    data = claim.data
    self_insured = data["coverage__relationship"] == Relationship.SELF
    patient_address = _prefixed_address(data, "patient__profile__")
    subscriber_address = _prefixed_address(data, "coverage__subscriber_") or (
        patient_address if self_insured else None
    )

    def subscriber_or_patient(subscriber_field: str, patient_field: str) -> Any:
        value = data[f"coverage__subscriber_{subscriber_field}"]
        return value or (data[f"patient__{patient_field}"] if self_insured else None)

    birth_date = subscriber_or_patient("date_of_birth", "date_of_birth")
    subscriber = x12.Subscriber(
        name=x12.Name(
            last=(subscriber_or_patient("last_name", "last_name") or "").strip(),
            first=(subscriber_or_patient("first_name", "first_name") or "").strip(),
            middle=data["coverage__subscriber_middle_name"].strip(),
            suffix=data["coverage__subscriber_suffix"].strip(),
        ),
        member_id=data["coverage__member_id"].strip(),
        birth_date=birth_date,
        sex=_sex(subscriber_or_patient("sex", "sex") or "") if birth_date else None,
        address=subscriber_address,
    )
    coverage = x12.Coverage(
        payer=payer,
        subscriber=subscriber,
        claim_filing_indicator=claim.payer.claim_filing_indicator,
        payer_responsibility=_RESPONSIBILITY.get(data["coverage__priority"], "P"),
        group_number=data["coverage__group_number"].strip(),
        group_name=data["coverage__group_name"].strip(),
    )
    if self_insured:
        return coverage, None
    dependent = x12.Patient(
        name=x12.Name(last=data["patient__last_name"].strip(), first=data["patient__first_name"].strip()),
        relationship=data["coverage__relationship"],
        birth_date=data["patient__date_of_birth"],
        sex=_sex(data["patient__sex"]),
        address=patient_address
        or subscriber_address
        or x12.Address(line1="", city="", state="", postal_code=""),
    )
    return coverage, dependent


def _cents(value: int) -> Decimal:
    return Decimal(value) / 100


def _cas(rows: list[dict[str, Any]]) -> tuple[x12.Adjustment, ...]:
    return tuple(
        x12.Adjustment(
            group=row["group"],
            reason=row["reason"],
            amount=_cents(row["amount_cents"]),
            quantity=Decimal(row["quantity"]) if row.get("quantity") else None,
        )
        for row in rows
    )


def _other_payer(claim: ClaimToSend, clearinghouse: str) -> x12.OtherPayer | None:
    """Loops 2320/2330A/2330B: the payer before this one and what it did with the claim (kept on
    the claim by practica.claims.secondary); None for a claim to the first payer."""
    if claim.prior is None or claim.prior_payer is None:
        return None
    outcome = claim.data["prior_adjudication"]
    prior = dataclasses.replace(claim, payer=claim.prior_payer, data={**claim.data, **claim.prior})
    coverage, _ = _coverage(prior, _payer(claim.prior_payer, clearinghouse))
    return x12.OtherPayer(
        coverage=coverage,
        relationship=claim.prior["coverage__relationship"],
        adjustments=_cas(outcome.get("adjustments", [])),
        paid=_cents(outcome["paid_cents"]),
        # DTP*573 of loop 2330B only when no line carries its own (2430).
        adjudication_date=None
        if outcome.get("lines")
        else datetime.date.fromisoformat(outcome["adjudicated_on"]),
        payer_claim_number=outcome.get("payer_claim_number", ""),
    )


def _line_adjudications(
    claim: ClaimToSend, number: int, other: x12.OtherPayer | None
) -> tuple[x12.LineAdjudication, ...]:
    if other is None:
        return ()
    outcome = claim.data["prior_adjudication"]
    line = outcome.get("lines", {}).get(str(number))
    if line is None:
        return ()
    return (
        x12.LineAdjudication(
            payer_id=other.coverage.payer.payer_id,
            paid=_cents(line["paid_cents"]),
            adjudication_date=datetime.date.fromisoformat(outcome["adjudicated_on"]),
            adjustments=_cas(line.get("adjustments", [])),
        ),
    )


def _lines(claim: ClaimToSend, other: x12.OtherPayer | None = None) -> tuple[x12.ServiceLine, ...]:
    place = claim.data["place_of_service"]
    return tuple(
        x12.ServiceLine(
            procedure_code=line["procedure_code"],
            charge=Decimal(line["charge_cents"]) / 100,
            service_date=line["date_of_service"],
            diagnosis_pointers=tuple(line["diagnosis_pointers"]),
            modifiers=tuple(line["modifiers"]),
            units=Decimal(line["units"]),
            place_of_service=line["place_of_service"]
            if line["place_of_service"] and line["place_of_service"] != place
            else "",
            control_number=line["line_control_number"],
            adjudications=_line_adjudications(claim, number, other),
        )
        for number, line in enumerate(claim.lines, start=1)
    )


def build_claim(claim: ClaimToSend, billing: x12.BillingProvider, clearinghouse: str) -> x12.Claim:
    """One claim (loop 2300 and its lines), from a claim loaded by `claims_to_send`."""
    coverage, dependent = _coverage(claim, _payer(claim.payer, clearinghouse))
    data = claim.data
    corrected = data["frequency_code"] != FrequencyCode.ORIGINAL
    other = _other_payer(claim, clearinghouse)
    return x12.Claim(
        billing_provider=billing,
        coverage=coverage,
        patient=dependent,
        patient_control_number=claim.patient_control_number,
        place_of_service=data["place_of_service"],
        frequency=cast(x12.Frequency, data["frequency_code"]),  # the model's choices are 1, 7 and 8
        original_claim_number=data["original_claim_number"] if corrected else "",
        diagnoses=tuple(data["diagnosis_codes"]),
        lines=_lines(claim, other),
        prior_authorization=data["prior_authorization_number"],
        referring_provider=_referring(claim),
        rendering_provider=_provider(claim.rendering_provider),
        service_facility=_service_facility(claim.location, billing),
        other_payers=(other,) if other else (),
    )


def build_interchange(
    profile: BillingProfile,
    claims: Sequence[ClaimToSend],
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


def by_payer(claims: Iterable[ClaimToSend]) -> dict[Payer, list[ClaimToSend]]:
    """Claims grouped by payer, in the order each payer first appears."""
    grouped: dict[Payer, list[ClaimToSend]] = {}
    for claim in claims:
        grouped.setdefault(claim.payer, []).append(claim)
    return grouped
