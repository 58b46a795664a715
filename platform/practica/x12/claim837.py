"""An 837P (005010X222A1) interchange as frozen dataclasses, one for each thing a claim file says.

The claims app builds these from its models and hands an `Interchange` to `write_837p`
(`practica.x12.write837`); `read_837p` (`practica.x12.read837`) gives them back from a file.
Field docs name the X12 element each value goes to. Text is written as given: no trimming beyond
the ends, no upper-casing, no escaping (X12 has none; text holding a delimiter, a line break or a
character outside printable ASCII is refused by the writer, naming the claim and the field).

Conventions:
- Codes are strings exactly as X12 spells them ("CI", "18", "11", "F").
- Money and units are `Decimal`; written without trailing zeros ("100", "40.5").
- Dates are `datetime.date`; times of creation `datetime.datetime` (naive, the practice's time).
- Empty string or None means "not sent"; situational segments are left out when they would be empty.
- Control numbers are ints; the writer pads them as the envelope requires (ISA13 to 9 digits,
  ST02 to at least 4). Allocating unique, never reused numbers is the caller's job.

Grouping: a `ClaimTransaction` is one ST/SE. The writer groups its claims by billing provider
(loop 2000A), then by coverage (loop 2000B; the subscriber's own claims apart from their
dependents'), then by patient (loop 2000C), keeping the order in which each first appears.
Claims sharing a billing provider or coverage must therefore use equal dataclasses for them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

#: CLM05-3: 1 original, 7 replacement of a prior claim, 8 void of a prior claim.
Frequency = Literal["1", "7", "8"]
#: SBR01 payer responsibility: primary, secondary, tertiary, then A-H (payer 4-11), U unknown.
PayerResponsibility = Literal["P", "S", "T", "A", "B", "C", "D", "E", "F", "G", "H", "U"]
#: DMG03 / sex of a person.
Sex = Literal["F", "M", "U"]
#: HI qualifiers: ICD-10-CM (ABK principal, ABF other) or ICD-9-CM (BK, BF), for old claims and
#: the implementation guide's own examples.
DiagnosisCodeList = Literal["ICD-10", "ICD-9"]


@dataclass(frozen=True)
class Separators:
    """The delimiters of an interchange (ISA gives them to the reader).

    `line_break` adds a newline after every segment terminator, for people reading the file;
    receivers ignore it."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"
    line_break: bool = False


@dataclass(frozen=True)
class Name:
    """NM103-NM107. `last` is the organization's name when `organization` is true (NM102 = 2)."""

    last: str
    first: str = ""
    middle: str = ""
    suffix: str = ""
    organization: bool = False

    @classmethod
    def of_organization(cls, name: str) -> Name:
        return cls(last=name, organization=True)


@dataclass(frozen=True)
class Address:
    """N3/N4. `postal_code` is digits only: 5, or 9 for ZIP+4 (the 2010AA billing provider needs 9;
    the scrubber says so, the writer only checks the form). `country` (N404) only outside the US."""

    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""
    country: str = ""


@dataclass(frozen=True)
class Contact:
    """PER*IC: a contact name and up to three numbers, written in the order phone (with its
    extension), email, fax. Phone and fax digits only (10 for US numbers)."""

    name: str
    phone: str = ""
    phone_extension: str = ""
    email: str = ""
    fax: str = ""


@dataclass(frozen=True)
class Submitter:
    """Loop 1000A: who sends the file. `identifier` is NM109 (qualifier 46), the submitter id the
    receiver (clearinghouse or payer) assigned."""

    name: Name
    identifier: str
    contact: Contact


@dataclass(frozen=True)
class Receiver:
    """Loop 1000B: who receives the file (a clearinghouse or the payer). NM109 with qualifier 46."""

    name: str
    identifier: str


@dataclass(frozen=True)
class BillingProvider:
    """Loop 2000A/2010AA/2010AB: the practice (or provider) billing, and where payment goes.

    `tax_id` is REF02 of REF*EI (an EIN, nine digits) or REF*SY (SSN, for a provider billing as a
    person) per `tax_id_kind`. `taxonomy` is PRV*BI*PXC (sent when given). `pay_to_address` is
    loop 2010AB, sent only when payment goes somewhere else than `address` (which must be a street
    address, not a PO box)."""

    name: Name
    npi: str
    address: Address
    tax_id: str
    tax_id_kind: Literal["EI", "SY"] = "EI"
    taxonomy: str = ""
    contact: Contact | None = None
    pay_to_address: Address | None = None


@dataclass(frozen=True)
class Payer:
    """Loop 2010BB. `payer_id` is NM109 (qualifier PI), the payer's id at the clearinghouse.
    `billing_provider_secondary_id` is REF*G2: the number this payer gave the billing provider."""

    name: str
    payer_id: str
    address: Address | None = None
    billing_provider_secondary_id: str = ""


@dataclass(frozen=True)
class Subscriber:
    """Loop 2010BA: the insured person. `member_id` is NM109 (qualifier MI). Birth date, sex and
    address are required when the subscriber is the patient, and sent whenever given."""

    name: Name
    member_id: str
    birth_date: dt.date | None = None
    sex: Sex | None = None
    address: Address | None = None


@dataclass(frozen=True)
class Coverage:
    """Loop 2000B: the SBR segment with its subscriber and payer.

    `claim_filing_indicator` is SBR09 (CI commercial, MB Medicare Part B, MC Medicaid, BL Blue
    Cross/Blue Shield, HM HMO, CH Tricare, 12-17, ZZ...). `insurance_type` is SBR05, needed when
    Medicare is the secondary payer. SBR02 (18, "self") is written by the writer when the claim has
    no separate patient."""

    payer: Payer
    subscriber: Subscriber
    claim_filing_indicator: str
    payer_responsibility: PayerResponsibility = "P"
    group_number: str = ""
    group_name: str = ""
    insurance_type: str = ""


@dataclass(frozen=True)
class Patient:
    """Loop 2000C/2010CA: the patient when they are not the subscriber.

    `relationship` is PAT01, the X12 individual relationship code to the subscriber: 01 spouse,
    19 child, 20 employee, 21 unknown, 39 organ donor, 40 cadaver donor, 53 life partner, G8 other."""

    name: Name
    relationship: str
    birth_date: dt.date
    sex: Sex
    address: Address


@dataclass(frozen=True)
class Provider:
    """A person or organization with an NPI: rendering (2310B/2420A, NM1*82, with PRV*PE*PXC when
    `taxonomy` is given) or referring (2310A, NM1*DN; taxonomy not sent)."""

    name: Name
    npi: str
    taxonomy: str = ""


@dataclass(frozen=True)
class ServiceFacility:
    """Loop 2310C (NM1*77): where the service was given, when not at the billing address."""

    name: str
    address: Address
    npi: str = ""


@dataclass(frozen=True)
class Drug:
    """Loop 2410: the NDC of a drug given (LIN*N4, 11 digits) and its quantity (CTP04) in a unit
    (CTP05-1: UN unit, ML millilitre, GR gram, F2 international unit, ME milligram)."""

    ndc: str
    quantity: Decimal
    unit: Literal["UN", "ML", "GR", "F2", "ME"] = "UN"


@dataclass(frozen=True)
class Adjustment:
    """One adjustment of a payer's adjudication (a CAS triplet): the group (CO contractual, PR
    patient responsibility, OA other, PI payer initiated, CR correction), the claim adjustment
    reason code (CARC), the amount and, when the payer gave one, the quantity."""

    group: Literal["CO", "PR", "OA", "PI", "CR"]
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True)
class OtherPayer:
    """Loops 2320, 2330A and 2330B: a payer that already adjudicated this claim, on a claim to the
    next payer (a secondary claim carries the primary's outcome).

    - `coverage`: the other payer's SBR (`payer_responsibility`, SBR09, group) with its subscriber
      (2330A, NM1*IL) and payer (2330B, NM1*PR: its `payer_id` is the id 2430's SVD01 names).
    - `relationship`: SBR02, the patient's X12 relationship to that subscriber (18 self).
    - `adjustments`: claim-level CAS (those the payer made to the claim as a whole).
    - `paid`: AMT*D, what the payer paid on the claim; `remaining_patient_liability`: AMT*EAF.
    - `adjudication_date`: 2330B DTP*573, the payer's check or remittance date (required when no
      line carries a 2430 with its own date).
    - `payer_claim_number`: 2330B REF*F8, the payer's claim control number.
    - `benefits_assigned` (OI03) and `release_of_information` (OI06)."""

    coverage: Coverage
    relationship: str = "18"
    adjustments: tuple[Adjustment, ...] = ()
    paid: Decimal | None = None
    remaining_patient_liability: Decimal | None = None
    adjudication_date: dt.date | None = None
    payer_claim_number: str = ""
    benefits_assigned: Literal["Y", "N", "W"] = "Y"
    release_of_information: Literal["I", "Y"] = "Y"


@dataclass(frozen=True)
class LineAdjudication:
    """Loop 2430: how another payer adjudicated this line. `payer_id` (SVD01) names the other
    payer's 2330B NM109; `paid` is SVD02; the procedure (SVD03) and `units` (SVD05) are the ones
    the payer adjudicated (the line's own when left empty); `adjustments` are the line's CAS;
    `adjudication_date` is DTP*573; `remaining_patient_liability` AMT*EAF. The charge must balance:
    SV102 = paid + adjustments."""

    payer_id: str
    paid: Decimal
    adjudication_date: dt.date
    adjustments: tuple[Adjustment, ...] = ()
    procedure_code: str = ""
    modifiers: tuple[str, ...] = ()
    units: Decimal | None = None
    remaining_patient_liability: Decimal | None = None


@dataclass(frozen=True)
class ServiceLine:
    """Loop 2400: LX, SV1, DTP*472, REF*6R (and 2410, 2420A when given).

    SV101 is HC:`procedure_code`:`modifiers` (up to 4), with `description` (SV101-7) for unlisted
    codes. `charge` is SV102, `units` SV104 in `unit` (UN units, MJ minutes for anesthesia).
    `place_of_service` (SV105) is sent only when it differs from the claim's.
    `diagnosis_pointers` (SV107, 1 to 4) are 1-based positions in the claim's `diagnoses`.
    `service_date_end` makes the date a range (RD8). `control_number` is REF*6R, the line item
    control number a remittance echoes back: how payments are matched to lines."""

    procedure_code: str
    charge: Decimal
    service_date: dt.date
    diagnosis_pointers: tuple[int, ...] = (1,)
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal(1)
    unit: Literal["UN", "MJ"] = "UN"
    place_of_service: str = ""
    service_date_end: dt.date | None = None
    control_number: str = ""
    description: str = ""
    emergency: bool = False
    drug: Drug | None = None
    rendering_provider: Provider | None = None
    adjudications: tuple[LineAdjudication, ...] = ()


@dataclass(frozen=True)
class Claim:
    """Loop 2300 and what it hangs under. The total (CLM02) is the sum of the lines' charges.

    - `patient_control_number`: CLM01, the practice's id for the claim, echoed by 277CA (TRN02)
      and 835 (CLP01). Up to 38 characters; many payers keep only 20.
    - `place_of_service`: CLM05-1; `frequency`: CLM05-3 (1 original, 7 replacement, 8 void);
      7 and 8 need `original_claim_number` (REF*F8, the payer's claim control number), which is
      refused on a frequency 1 claim.
    - `patient`: None when the subscriber is the patient (SBR02 = 18), else loop 2000C.
    - `diagnoses`: 1 to 12 codes for HI, the first principal; a decimal point is dropped as X12
      wants. `diagnosis_code_list` picks the qualifiers: ABK/ABF (ICD-10) or BK/BF (ICD-9).
    - CLM06 `provider_signature` (Y/N), CLM07 `assignment` (A assigned, B lab services only,
      C not assigned), CLM08 `benefits_assigned` (Y, N, W not applicable), CLM09
      `release_of_information` (I informed consent, Y signed statement).
    - `related_causes` (CLM11: AA auto accident, EM employment, OA other accident) with
      `accident_state` (required for AA) and `accident_date` (DTP*439).
    - `delay_reason`: CLM20, for a claim sent late (1-11, 15).
    - `onset_date`: DTP*431; `patient_paid`: AMT*F5; `referral_number`: REF*9F;
      `prior_authorization`: REF*G1; `clearinghouse_trace`: REF*D9; `medical_record_number`:
      REF*EA; `note`: NTE*ADD.
    - `referring_provider` (2310A), `rendering_provider` (2310B: send when not the billing
      provider), `service_facility` (2310C).
    - `other_payers`: loops 2320/2330 (up to 10), the payers that adjudicated the claim before
      this one, with their lines' 2430 in `ServiceLine.adjudications`. Their amounts must balance:
      CLM02 = the payer's AMT*D + its claim-level CAS + its lines' CAS."""

    billing_provider: BillingProvider
    coverage: Coverage
    patient_control_number: str
    place_of_service: str
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    frequency: Frequency = "1"
    patient: Patient | None = None
    original_claim_number: str = ""
    diagnosis_code_list: DiagnosisCodeList = "ICD-10"
    provider_signature: bool = True
    assignment: Literal["A", "B", "C"] = "A"
    benefits_assigned: Literal["Y", "N", "W"] = "Y"
    release_of_information: Literal["I", "Y"] = "Y"
    related_causes: tuple[str, ...] = ()
    accident_state: str = ""
    accident_date: dt.date | None = None
    delay_reason: str = ""
    onset_date: dt.date | None = None
    patient_paid: Decimal | None = None
    referral_number: str = ""
    prior_authorization: str = ""
    clearinghouse_trace: str = ""
    medical_record_number: str = ""
    note: str = ""
    referring_provider: Provider | None = None
    rendering_provider: Provider | None = None
    service_facility: ServiceFacility | None = None
    other_payers: tuple[OtherPayer, ...] = ()

    @property
    def total_charge(self) -> Decimal:
        """CLM02: always the sum of the lines, so the two cannot disagree."""
        return sum((line.charge for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class ClaimTransaction:
    """One ST..SE transaction set of claims (Practica writes one per payer batch).

    `control_number` is ST02/SE02 (unique within the group), `reference` BHT03 (the submitter's
    id for this batch, up to 50 characters), `created` BHT04/BHT05. `kind` is BHT06: CH for claims
    to be paid, RP for encounters reported only. `purpose` is BHT02: 00 original, 18 reissue.
    The implementation guide allows at most 5,000 claims in one transaction set."""

    control_number: int
    reference: str
    created: dt.datetime
    submitter: Submitter
    receiver: Receiver
    claims: tuple[Claim, ...]
    kind: Literal["CH", "RP"] = "CH"
    purpose: Literal["00", "18"] = "00"


@dataclass(frozen=True)
class InterchangeParty:
    """ISA05/06 or ISA07/08: an interchange id (up to 15 characters) and its qualifier
    (ZZ mutually defined, 01 DUNS, 30 US federal tax id...)."""

    identifier: str
    qualifier: str = "ZZ"


@dataclass(frozen=True)
class Interchange:
    """ISA/GS ... GE/IEA around claim transactions: one interchange, one functional group (HC).

    `control_number` is ISA13/IEA02 (1-999999999), `group_control_number` GS06/GE02,
    `application_sender`/`application_receiver` GS02/GS03, `created` ISA09/10 and GS04/05,
    `usage` ISA15 (T test, P production), `acknowledgement_requested` ISA14 (a TA1)."""

    sender: InterchangeParty
    receiver: InterchangeParty
    application_sender: str
    application_receiver: str
    control_number: int
    group_control_number: int
    created: dt.datetime
    transactions: tuple[ClaimTransaction, ...]
    usage: Literal["T", "P"] = "T"
    acknowledgement_requested: bool = False
    separators: Separators = Separators()
