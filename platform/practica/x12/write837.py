"""Writes an `Interchange` of claims (`practica.x12.claim837`) as 837P 005010X222A1 text.

The writer checks what it alone can know: delimiters, line breaks and characters outside printable
ASCII in any text (X12 has no escaping), element lengths and forms (NPI ten digits, dates, amounts),
frequency 7/8 with REF*F8, 1-12 diagnoses, 1-50 lines, pointers to existing diagnoses. Business
rules (ZIP+4, coverage dates, NPI check digit, code sets...) are the scrubber's. A refusal is an
`X12WriteError` naming the claim (its patient control number) and the element.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from practica.x12.claim837 import (
    Address,
    Adjustment,
    BillingProvider,
    Claim,
    ClaimTransaction,
    Contact,
    Coverage,
    Interchange,
    LineAdjudication,
    Name,
    OtherPayer,
    Patient,
    Provider,
    Separators,
    ServiceLine,
)
from practica.x12.errors import X12WriteError

VERSION = "005010X222A1"
MAX_CLAIMS_PER_TRANSACTION = 5000
MAX_LINES = 50
MAX_DIAGNOSES = 12
MAX_OTHER_PAYERS = 10
MAX_REASONS_PER_GROUP = 6

_DIGITS = re.compile(r"\d+")
_POSTAL = re.compile(r"\d{5}(\d{4})?")
_HI_QUALIFIERS = {"ICD-10": ("ABK", "ABF"), "ICD-9": ("BK", "BF")}


def write_837p(interchange: Interchange) -> str:
    """The interchange as X12 text. Raises `X12WriteError` for data X12 cannot carry."""
    return _Writer(interchange.separators).interchange(interchange)


def _amount(value: Decimal) -> str:
    # X12 "R" numbers: no trailing zeros needed, no exponent.
    text = format(value.normalize(), "f")
    return text


class _Writer:
    def __init__(self, separators: Separators) -> None:
        self.sep = separators
        delimiters = (separators.element, separators.component, separators.repetition, separators.segment)
        if len(set(delimiters)) != 4 or any(len(d) != 1 or d.isalnum() or d == " " for d in delimiters):
            raise X12WriteError(
                "the four separators must be distinct single characters, neither letters, digits nor space"
            )
        self._names = {
            separators.element: "the element separator",
            separators.component: "the component separator",
            separators.repetition: "the repetition separator",
            separators.segment: "the segment terminator",
        }
        self._bad = re.compile("[^\x20-\x7e]|[" + re.escape("".join(delimiters)) + "]")
        self._terminator = separators.segment + ("\n" if separators.line_break else "")
        self.segments: list[str] = []
        self.where = ""

    # -- elements ---------------------------------------------------------------------------------

    def fail(self, message: str, field: str) -> X12WriteError:
        return X12WriteError(f"{field}: {message}", where=self.where, field=field)

    def text(self, value: str, field: str, max_len: int, min_len: int = 1, required: bool = True) -> str:
        value = value.strip()
        if not value:
            if required:
                raise self.fail("is required", field)
            return ""
        bad = self._bad.search(value)
        if bad:
            char = bad.group()
            what = self._names.get(char) or (
                "a line break" if char in "\r\n" else "a character outside printable ASCII"
            )
            raise self.fail(
                f"{value!r} contains {char!r}, {what}; X12 cannot escape it, so remove or replace it", field
            )
        if not min_len <= len(value) <= max_len:
            raise self.fail(f"{value!r} must be {min_len} to {max_len} characters long", field)
        return value

    def code(self, value: str, field: str, pattern: re.Pattern[str], form: str, required: bool = True) -> str:
        value = self.text(value, field, 80, required=required)
        if value and not pattern.fullmatch(value):
            raise self.fail(f"{value!r} is not {form}", field)
        return value

    def npi(self, value: str, field: str) -> str:
        return self.code(value, field, re.compile(r"\d{10}"), "ten digits")

    def money(self, value: Decimal, field: str) -> str:
        if not value.is_finite() or value < 0:
            raise self.fail(f"{value} is not an amount of zero or more", field)
        if value != value.quantize(Decimal("0.01")):
            raise self.fail(f"{value} has more than two decimals", field)
        text = _amount(value)
        if len(text.replace(".", "")) > 18:
            raise self.fail(f"{value} is too large", field)
        return text

    def quantity(self, value: Decimal, field: str) -> str:
        if not value.is_finite() or value <= 0:
            raise self.fail(f"{value} is not a quantity above zero", field)
        text = _amount(value)
        if len(text.replace(".", "")) > 15 or ("." in text and len(text.split(".")[1]) > 3):
            raise self.fail(f"{value} has more than 15 digits or 3 decimals", field)
        return text

    @staticmethod
    def date(value: dt.date) -> str:
        return value.strftime("%Y%m%d")

    def composite(self, *parts: str) -> str:
        return self.sep.component.join(parts).rstrip(self.sep.component)

    def seg(self, *elements: str) -> None:
        parts = list(elements)
        while parts and parts[-1] == "":
            parts.pop()
        self.segments.append(self.sep.element.join(parts))

    # -- envelopes --------------------------------------------------------------------------------

    def interchange(self, ic: Interchange) -> str:
        self.where = f"interchange {ic.control_number}"
        if not 1 <= ic.control_number <= 999_999_999:
            raise self.fail(f"{ic.control_number} is not 1 to 999999999", "ISA13 control number")
        if not 1 <= ic.group_control_number <= 999_999_999:
            raise self.fail(f"{ic.group_control_number} is not 1 to 999999999", "GS06 group control number")
        if not ic.transactions:
            raise self.fail("an interchange needs at least one transaction set", "ST")
        ids = [t.control_number for t in ic.transactions]
        if len(set(ids)) != len(ids):
            raise self.fail("transaction set control numbers repeat within the group", "ST02")
        e = self.sep.element
        sender = self.text(ic.sender.identifier, "ISA06 sender id", 15)
        receiver = self.text(ic.receiver.identifier, "ISA08 receiver id", 15)
        isa = e.join(
            (
                "ISA",
                "00",
                " " * 10,
                "00",
                " " * 10,
                self.text(ic.sender.qualifier, "ISA05 sender id qualifier", 2, 2),
                sender.ljust(15),
                self.text(ic.receiver.qualifier, "ISA07 receiver id qualifier", 2, 2),
                receiver.ljust(15),
                ic.created.strftime("%y%m%d"),
                ic.created.strftime("%H%M"),
                self.sep.repetition,
                "00501",
                f"{ic.control_number:09d}",
                "1" if ic.acknowledgement_requested else "0",
                ic.usage,
                self.sep.component,
            )
        )
        self.segments.append(isa)
        self.seg(
            "GS",
            "HC",
            self.text(ic.application_sender, "GS02 application sender", 15, 2),
            self.text(ic.application_receiver, "GS03 application receiver", 15, 2),
            self.date(ic.created),
            ic.created.strftime("%H%M"),
            str(ic.group_control_number),
            "X",
            VERSION,
        )
        for transaction in ic.transactions:
            self.transaction(transaction)
        self.where = f"interchange {ic.control_number}"
        self.seg("GE", str(len(ic.transactions)), str(ic.group_control_number))
        self.seg("IEA", "1", f"{ic.control_number:09d}")
        return self._terminator.join(self.segments) + self._terminator

    def transaction(self, t: ClaimTransaction) -> None:
        self.where = f"transaction set {t.control_number}"
        if not 1 <= t.control_number <= 999_999_999:
            raise self.fail(f"{t.control_number} is not 1 to 999999999", "ST02 control number")
        if not 1 <= len(t.claims) <= MAX_CLAIMS_PER_TRANSACTION:
            raise self.fail(f"a transaction set holds 1 to {MAX_CLAIMS_PER_TRANSACTION} claims", "CLM")
        start = len(self.segments)
        control = f"{t.control_number:04d}"
        self.seg("ST", "837", control, VERSION)
        self.seg(
            "BHT",
            "0019",
            t.purpose,
            self.text(t.reference, "BHT03 reference", 50),
            self.date(t.created),
            t.created.strftime("%H%M"),
            t.kind,
        )
        self.nm1("41", t.submitter.name, "NM103 submitter name", "46", t.submitter.identifier, 80)
        self.per(t.submitter.contact, "submitter contact")
        self.seg(
            "NM1",
            "40",
            "2",
            self.text(t.receiver.name, "NM103 receiver name", 60),
            "",
            "",
            "",
            "",
            "46",
            self.text(t.receiver.identifier, "NM109 receiver id", 80, 2),
        )
        self.hierarchy(t.claims)
        self.where = f"transaction set {t.control_number}"
        self.seg("SE", str(len(self.segments) - start + 1), control)

    # -- hierarchy --------------------------------------------------------------------------------

    def hierarchy(self, claims: Iterable[Claim]) -> None:
        # billing provider -> (coverage, subscriber is patient) -> patient (None: the subscriber)
        tree: dict[BillingProvider, dict[tuple[Coverage, bool], dict[Patient | None, list[Claim]]]] = {}
        for claim in claims:
            self.where = f"claim {claim.patient_control_number!r}"
            try:
                key = (claim.coverage, claim.patient is None)
                tree.setdefault(claim.billing_provider, {}).setdefault(key, {}).setdefault(
                    claim.patient, []
                ).append(claim)
            except TypeError as exc:  # a list where a tuple belongs makes the dataclass unhashable
                raise self.fail(f"cannot group claims: {exc} (use tuples, not lists)", "claim") from exc
        hl = 0
        for provider, coverages in tree.items():
            hl += 1
            provider_hl = hl
            self.where = f"billing provider {provider.npi}"
            self.seg("HL", str(provider_hl), "", "20", "1")
            self.billing_provider(provider)
            for (coverage, is_self), patients in coverages.items():
                hl += 1
                subscriber_hl = hl
                self.where = f"subscriber {coverage.subscriber.member_id!r}"
                self.seg("HL", str(subscriber_hl), str(provider_hl), "22", "0" if is_self else "1")
                self.coverage(coverage, is_self)
                for patient, patient_claims in patients.items():
                    if patient is not None:
                        hl += 1
                        self.seg("HL", str(hl), str(subscriber_hl), "23", "0")
                        self.patient(patient)
                    for claim in patient_claims:
                        self.claim(claim)

    def billing_provider(self, p: BillingProvider) -> None:
        if p.taxonomy:
            self.seg("PRV", "BI", "PXC", self.taxonomy(p.taxonomy, "PRV03 billing provider taxonomy"))
        self.nm1("85", p.name, "NM103 billing provider name", "XX", p.npi, npi=True)
        self.address(p.address, "billing provider address")
        kind = p.tax_id_kind
        tax_id = self.code(p.tax_id, f"REF*{kind} billing provider tax id", _DIGITS, "digits only")
        if len(tax_id) != 9:
            raise self.fail(f"{tax_id!r} must be nine digits", f"REF*{kind} billing provider tax id")
        self.seg("REF", kind, tax_id)
        if p.contact is not None:
            self.per(p.contact, "billing provider contact")
        if p.pay_to_address is not None:
            self.seg("NM1", "87", "2")
            self.address(p.pay_to_address, "pay-to address")

    def coverage(self, c: Coverage, is_self: bool) -> None:
        self.seg(
            "SBR",
            c.payer_responsibility,
            "18" if is_self else "",
            self.text(c.group_number, "SBR03 group number", 50, required=False),
            self.text(c.group_name, "SBR04 group name", 60, required=False),
            self.text(c.insurance_type, "SBR05 insurance type", 3, required=False),
            "",
            "",
            "",
            self.text(c.claim_filing_indicator, "SBR09 claim filing indicator", 2),
        )
        s = c.subscriber
        if is_self and (s.birth_date is None or s.sex is None or s.address is None):
            raise self.fail(
                "birth date, sex and address are required when the subscriber is the patient", "subscriber"
            )
        self.nm1("IL", s.name, "NM103 subscriber last name", "MI", s.member_id, 80)
        if s.address is not None:
            self.address(s.address, "subscriber address")
        if s.birth_date is not None or s.sex is not None:
            self.dmg(s.birth_date, s.sex, "subscriber")
        payer = c.payer
        self.seg(
            "NM1",
            "PR",
            "2",
            self.text(payer.name, "NM103 payer name", 60),
            "",
            "",
            "",
            "",
            "PI",
            self.text(payer.payer_id, "NM109 payer id", 80, 2),
        )
        if payer.address is not None:
            self.address(payer.address, "payer address")
        if payer.billing_provider_secondary_id:
            self.seg("REF", "G2", self.text(payer.billing_provider_secondary_id, "REF*G2 provider id", 50))

    def patient(self, p: Patient) -> None:
        self.seg("PAT", self.text(p.relationship, "PAT01 relationship", 2, 2))
        self.nm1("QC", p.name, "NM103 patient last name", "", "")
        self.address(p.address, "patient address")
        self.dmg(p.birth_date, p.sex, "patient")

    # -- claim ------------------------------------------------------------------------------------

    def claim(self, c: Claim) -> None:
        self.where = f"claim {c.patient_control_number!r}"
        pcn = self.text(c.patient_control_number, "CLM01 patient control number", 38)
        if not 1 <= len(c.lines) <= MAX_LINES:
            raise self.fail(f"a claim has 1 to {MAX_LINES} service lines, not {len(c.lines)}", "LX")
        if not 1 <= len(c.diagnoses) <= MAX_DIAGNOSES:
            raise self.fail(f"a claim has 1 to {MAX_DIAGNOSES} diagnoses, not {len(c.diagnoses)}", "HI")
        if c.frequency not in ("1", "7", "8"):
            raise self.fail(f"{c.frequency!r} is not 1, 7 or 8", "CLM05-3 frequency")
        if c.frequency in ("7", "8") and not c.original_claim_number.strip():
            raise self.fail(
                f"a frequency {c.frequency} claim needs the payer's original claim number", "REF*F8"
            )
        if c.frequency == "1" and c.original_claim_number.strip():
            raise self.fail("an original claim (frequency 1) sends no original claim number", "REF*F8")
        for number, line in enumerate(c.lines, 1):  # before CLM02 sums them
            self.money(line.charge, f"SV102 line {number} charge")
        pos = self.place_of_service(c.place_of_service, "CLM05-1 place of service")
        causes = [self.text(cause, "CLM11 related cause", 3, 2) for cause in c.related_causes]
        if len(causes) > 3:
            raise self.fail("at most three related causes", "CLM11")
        if "AA" in causes and not c.accident_state.strip():
            raise self.fail("an auto accident needs the state it happened in", "CLM11-4 accident state")
        if causes and c.accident_date is None and any(x in causes for x in ("AA", "OA")):
            raise self.fail("an accident needs its date", "DTP*439 accident date")
        related = ""
        if causes:
            state = self.text(c.accident_state, "CLM11-4 accident state", 2, 2, required=False)
            related = self.composite(*(causes + [""] * (3 - len(causes))), state)
        self.seg(
            "CLM",
            pcn,
            self.money(c.total_charge, "CLM02 total charge"),
            "",
            "",
            self.composite(pos, "B", c.frequency),
            "Y" if c.provider_signature else "N",
            c.assignment,
            c.benefits_assigned,
            c.release_of_information,
            "",
            related,
            *(
                ["", "", "", "", "", "", "", "", self.text(c.delay_reason, "CLM20 delay reason", 2)]
                if c.delay_reason
                else []
            ),
        )
        if c.onset_date is not None:
            self.seg("DTP", "431", "D8", self.date(c.onset_date))
        if c.accident_date is not None:
            self.seg("DTP", "439", "D8", self.date(c.accident_date))
        if c.patient_paid is not None:
            self.seg("AMT", "F5", self.money(c.patient_paid, "AMT*F5 patient paid"))
        if c.referral_number:
            self.seg("REF", "9F", self.text(c.referral_number, "REF*9F referral number", 50))
        if c.prior_authorization:
            self.seg("REF", "G1", self.text(c.prior_authorization, "REF*G1 prior authorization", 50))
        if c.frequency != "1":
            self.seg("REF", "F8", self.text(c.original_claim_number, "REF*F8 original claim number", 50))
        if c.clearinghouse_trace:
            self.seg("REF", "D9", self.text(c.clearinghouse_trace, "REF*D9 clearinghouse trace", 50))
        if c.medical_record_number:
            self.seg("REF", "EA", self.text(c.medical_record_number, "REF*EA medical record number", 50))
        if c.note:
            self.seg("NTE", "ADD", self.text(c.note, "NTE02 claim note", 80))
        principal, other = _HI_QUALIFIERS[c.diagnosis_code_list]
        codes = [
            self.text(code.replace(".", ""), f"HI diagnosis {i}", 30) for i, code in enumerate(c.diagnoses, 1)
        ]
        self.seg(
            "HI",
            *(self.composite(principal if i == 0 else other, code) for i, code in enumerate(codes)),
        )
        if c.referring_provider is not None:
            self.nm1(
                "DN",
                c.referring_provider.name,
                "NM103 referring provider name",
                "XX",
                c.referring_provider.npi,
                npi=True,
            )
        if c.rendering_provider is not None:
            self.rendering(c.rendering_provider, "rendering provider")
        if c.service_facility is not None:
            f = c.service_facility
            name = self.text(f.name, "NM103 service facility name", 60)
            if f.npi:
                self.seg(
                    "NM1",
                    "77",
                    "2",
                    name,
                    "",
                    "",
                    "",
                    "",
                    "XX",
                    self.npi(f.npi, "NM109 service facility NPI"),
                )
            else:
                self.seg("NM1", "77", "2", name)
            self.address(f.address, "service facility address")
        self.check_adjudications(c)
        for prior in c.other_payers:
            self.other_payer(prior)
        for number, line in enumerate(c.lines, 1):
            self.line(number, line, c, pos)

    def line(self, number: int, line: ServiceLine, claim: Claim, claim_pos: str) -> None:
        label = f"line {number}"
        self.seg("LX", str(number))
        if len(line.modifiers) > 4:
            raise self.fail("at most four modifiers", f"SV101 {label} modifiers")
        modifiers = [self.text(m, f"SV101 {label} modifier", 2, 2) for m in line.modifiers]
        procedure = [
            "HC",
            self.text(line.procedure_code, f"SV101-2 {label} procedure code", 48),
            *(modifiers + [""] * (4 - len(modifiers))),
        ]
        if line.description:
            procedure.append(self.text(line.description, f"SV101-7 {label} description", 80))
        pointers = line.diagnosis_pointers
        if not 1 <= len(pointers) <= 4:
            raise self.fail("a line points at 1 to 4 diagnoses", f"SV107 {label} diagnosis pointers")
        for pointer in pointers:
            if not 1 <= pointer <= len(claim.diagnoses):
                raise self.fail(
                    f"pointer {pointer} is not one of the claim's {len(claim.diagnoses)} diagnoses",
                    f"SV107 {label} diagnosis pointers",
                )
        if len(set(pointers)) != len(pointers):
            raise self.fail("a pointer repeats", f"SV107 {label} diagnosis pointers")
        line_pos = ""
        if line.place_of_service:
            line_pos = self.place_of_service(line.place_of_service, f"SV105 {label} place of service")
            if line_pos == claim_pos:
                line_pos = ""  # the TR3: sent only when it differs from the claim's
        self.seg(
            "SV1",
            self.composite(*procedure),
            self.money(line.charge, f"SV102 {label} charge"),
            line.unit,
            self.quantity(line.units, f"SV104 {label} units"),
            line_pos,
            "",
            self.composite(*(str(p) for p in pointers)),
            "",
            "Y" if line.emergency else "",
        )
        if line.service_date_end is not None and line.service_date_end != line.service_date:
            if line.service_date_end < line.service_date:
                raise self.fail("the service ends before it starts", f"DTP*472 {label}")
            self.seg(
                "DTP", "472", "RD8", f"{self.date(line.service_date)}-{self.date(line.service_date_end)}"
            )
        else:
            self.seg("DTP", "472", "D8", self.date(line.service_date))
        if line.control_number:
            self.seg("REF", "6R", self.text(line.control_number, f"REF*6R {label} line control number", 50))
        if line.drug is not None:
            ndc = self.code(line.drug.ndc, f"LIN03 {label} NDC", re.compile(r"\d{11}"), "eleven digits")
            self.seg("LIN", "", "N4", ndc)
            self.seg(
                "CTP",
                "",
                "",
                "",
                self.quantity(line.drug.quantity, f"CTP04 {label} drug quantity"),
                line.drug.unit,
            )
        if line.rendering_provider is not None:
            self.rendering(line.rendering_provider, f"{label} rendering provider")
        for adjudication in line.adjudications:
            self.line_adjudication(adjudication, line, label)

    # -- other payers' adjudication (2320/2330, 2430) ---------------------------------------------

    def check_adjudications(self, c: Claim) -> None:
        """Which payer each 2430 names, and the TR3's balancing: a line's charge is what the payer
        paid on it plus its adjustments; the claim's charge is the payer's AMT*D plus the claim's
        and lines' adjustments. Payers refuse an unbalanced claim; it is refused here first."""
        if len(c.other_payers) > MAX_OTHER_PAYERS:
            raise self.fail(f"at most {MAX_OTHER_PAYERS} other payers", "2320")
        ids = [other.coverage.payer.payer_id.strip() for other in c.other_payers]
        if len(set(ids)) != len(ids):
            raise self.fail("two other payers share a payer id (2330B NM109)", "2330B NM109")
        line_adjusted: dict[str, Decimal] = dict.fromkeys(ids, Decimal(0))
        adjudicated: set[str] = set()
        for number, line in enumerate(c.lines, 1):
            for adjudication in line.adjudications:
                field = f"SVD01 line {number} other payer id"
                payer_id = adjudication.payer_id.strip()
                if payer_id not in line_adjusted:
                    raise self.fail(f"{payer_id!r} is not one of the claim's other payers (2330B)", field)
                adjusted = sum((a.amount for a in adjudication.adjustments), Decimal(0))
                if adjudication.paid + adjusted != line.charge:
                    raise self.fail(
                        f"the line does not balance: paid {adjudication.paid} + adjustments {adjusted} "
                        f"is not its charge {line.charge}",
                        f"SVD02 line {number} paid",
                    )
                line_adjusted[payer_id] += adjusted
                adjudicated.add(payer_id)
        for payer_id, other in zip(ids, c.other_payers, strict=True):
            if other.adjudication_date is None and payer_id not in adjudicated:
                raise self.fail(
                    f"payer {payer_id!r} needs its adjudication date when no line carries one",
                    "2330B DTP*573",
                )
            if other.paid is None:
                continue
            adjusted = sum((a.amount for a in other.adjustments), Decimal(0)) + line_adjusted[payer_id]
            if other.paid + adjusted != c.total_charge:
                raise self.fail(
                    f"payer {payer_id!r} does not balance: paid {other.paid} + adjustments {adjusted} "
                    f"is not the claim's charge {c.total_charge}",
                    "2320 AMT*D",
                )

    def other_payer(self, o: OtherPayer) -> None:
        cov = o.coverage
        self.seg(
            "SBR",
            cov.payer_responsibility,
            self.text(o.relationship, "2320 SBR02 relationship", 2, 2),
            self.text(cov.group_number, "2320 SBR03 group number", 50, required=False),
            self.text(cov.group_name, "2320 SBR04 group name", 60, required=False),
            self.text(cov.insurance_type, "2320 SBR05 insurance type", 3, required=False),
            "",
            "",
            "",
            self.text(cov.claim_filing_indicator, "2320 SBR09 claim filing indicator", 2),
        )
        self.cas(o.adjustments, "2320 CAS")
        if o.paid is not None:
            self.seg("AMT", "D", self.money(o.paid, "2320 AMT*D payer paid"))
        if o.remaining_patient_liability is not None:
            self.seg(
                "AMT", "EAF", self.money(o.remaining_patient_liability, "2320 AMT*EAF remaining liability")
            )
        self.seg("OI", "", "", o.benefits_assigned, "", "", o.release_of_information)
        s = cov.subscriber
        self.nm1("IL", s.name, "2330A NM103 other subscriber last name", "MI", s.member_id, 80)
        if s.address is not None:
            self.address(s.address, "other subscriber address")
        payer = cov.payer
        self.seg(
            "NM1",
            "PR",
            "2",
            self.text(payer.name, "2330B NM103 other payer name", 60),
            "",
            "",
            "",
            "",
            "PI",
            self.text(payer.payer_id, "2330B NM109 other payer id", 80, 2),
        )
        if payer.address is not None:
            self.address(payer.address, "other payer address")
        if o.adjudication_date is not None:
            self.seg("DTP", "573", "D8", self.date(o.adjudication_date))
        if o.payer_claim_number:
            self.seg(
                "REF", "F8", self.text(o.payer_claim_number, "2330B REF*F8 other payer claim number", 50)
            )

    def line_adjudication(self, a: LineAdjudication, line: ServiceLine, label: str) -> None:
        modifiers = a.modifiers if a.procedure_code else line.modifiers
        if len(modifiers) > 4:
            raise self.fail("at most four modifiers", f"SVD03 {label} modifiers")
        procedure = [
            "HC",
            self.text(a.procedure_code or line.procedure_code, f"SVD03-2 {label} procedure code", 48),
            *(self.text(m, f"SVD03 {label} modifier", 2, 2) for m in modifiers),
        ]
        self.seg(
            "SVD",
            self.text(a.payer_id, f"SVD01 {label} other payer id", 80, 2),
            self.money(a.paid, f"SVD02 {label} paid"),
            self.composite(*procedure),
            "",
            self.quantity(a.units if a.units is not None else line.units, f"SVD05 {label} units"),
        )
        self.cas(a.adjustments, f"2430 CAS {label}")
        self.seg("DTP", "573", "D8", self.date(a.adjudication_date))
        if a.remaining_patient_liability is not None:
            self.seg(
                "AMT",
                "EAF",
                self.money(a.remaining_patient_liability, f"2430 AMT*EAF {label} remaining liability"),
            )

    def cas(self, adjustments: Iterable[Adjustment], field: str) -> None:
        """One CAS per group, its reasons in order of first appearance; a reason given twice in a
        group is summed (a CAS names each reason once)."""
        groups: dict[str, dict[str, tuple[Decimal, Decimal | None]]] = {}
        for a in adjustments:
            if a.group not in ("CO", "PR", "OA", "PI", "CR"):
                raise self.fail(f"{a.group!r} is not an adjustment group (CO, PR, OA, PI, CR)", field)
            reason = self.text(a.reason, f"{field} reason code", 5)
            amount, quantity = groups.setdefault(a.group, {}).get(reason, (Decimal(0), None))
            if a.quantity is not None:
                quantity = (quantity or Decimal(0)) + a.quantity
            groups[a.group][reason] = (amount + a.amount, quantity)
        for group, reasons in groups.items():
            if len(reasons) > MAX_REASONS_PER_GROUP:
                raise self.fail(f"at most {MAX_REASONS_PER_GROUP} reasons in group {group}", field)
            elements: list[str] = []
            for reason, (amount, quantity) in reasons.items():
                elements += [reason, self.signed_money(amount, f"{field} {group}-{reason} amount")]
                elements.append(
                    self.quantity(quantity, f"{field} {group}-{reason} quantity") if quantity else ""
                )
            self.seg("CAS", group, *elements)

    def signed_money(self, value: Decimal, field: str) -> str:
        """An adjustment amount: negative when a payer reverses one."""
        return ("-" if value < 0 else "") + self.money(abs(value), field)

    # -- shared segments --------------------------------------------------------------------------

    def rendering(self, p: Provider, label: str) -> None:
        self.nm1("82", p.name, f"NM103 {label} name", "XX", p.npi, npi=True)
        if p.taxonomy:
            self.seg("PRV", "PE", "PXC", self.taxonomy(p.taxonomy, f"PRV03 {label} taxonomy"))

    def nm1(
        self,
        entity: str,
        name: Name,
        field: str,
        qualifier: str,
        identifier: str,
        id_max: int = 80,
        *,
        npi: bool = False,
    ) -> None:
        last = self.text(name.last, field, 60)
        if name.organization:
            first = middle = suffix = ""
        else:
            first = self.text(name.first, f"{field[:5]}4 first name", 35, required=False)
            middle = self.text(name.middle, f"{field[:5]}5 middle name", 25, required=False)
            suffix = self.text(name.suffix, f"{field[:5]}7 name suffix", 10, required=False)
        if npi:
            ident = self.npi(identifier, f"{field[:5]}9 NPI")
        elif qualifier:
            ident = self.text(identifier, f"{field[:5]}9 identifier", id_max, 2)
        else:
            ident = ""
        self.seg(
            "NM1",
            entity,
            "2" if name.organization else "1",
            last,
            first,
            middle,
            "",
            suffix,
            qualifier if ident else "",
            ident,
        )

    def address(self, a: Address, label: str) -> None:
        self.seg(
            "N3",
            self.text(a.line1, f"N301 {label}", 55),
            self.text(a.line2, f"N302 {label}", 55, required=False),
        )
        country = self.text(a.country, f"N404 {label} country", 3, 2, required=False)
        if country and country != "US":
            state = self.text(a.state, f"N402 {label} state", 2, 2, required=False)
            postal = self.text(a.postal_code, f"N403 {label} postal code", 15, 3, required=False)
        else:
            country = ""
            state = self.code(
                a.state, f"N402 {label} state", re.compile(r"[A-Z]{2}"), "a two-letter state code"
            )
            postal = self.code(a.postal_code, f"N403 {label} ZIP code", _POSTAL, "5 or 9 digits")
        self.seg("N4", self.text(a.city, f"N401 {label} city", 30, 2), state, postal, country)

    def per(self, c: Contact, label: str) -> None:
        numbers: list[str] = []
        if c.phone:
            numbers += ["TE", self.code(c.phone, f"PER {label} phone", _DIGITS, "digits only")]
            if c.phone_extension:
                numbers += [
                    "EX",
                    self.code(c.phone_extension, f"PER {label} extension", _DIGITS, "digits only"),
                ]
        elif c.phone_extension:
            raise self.fail("an extension needs a phone number", f"PER {label} extension")
        if c.email:
            numbers += ["EM", self.text(c.email, f"PER {label} email", 256)]
        if c.fax:
            numbers += ["FX", self.code(c.fax, f"PER {label} fax", _DIGITS, "digits only")]
        if not numbers:
            raise self.fail("a contact needs a phone number, email or fax", f"PER {label}")
        if len(numbers) > 6:
            raise self.fail("at most three numbers (an extension counts as one)", f"PER {label}")
        self.seg("PER", "IC", self.text(c.name, f"PER02 {label} name", 60), *numbers)

    def dmg(self, birth_date: dt.date | None, sex: str | None, label: str) -> None:
        if birth_date is None or sex not in ("F", "M", "U"):
            raise self.fail("birth date and sex F, M or U go together", f"DMG {label}")
        self.seg("DMG", "D8", self.date(birth_date), sex)

    def place_of_service(self, value: str, field: str) -> str:
        return self.code(value, field, re.compile(r"\d{2}"), "a two-digit place of service code")

    def taxonomy(self, value: str, field: str) -> str:
        return self.code(value, field, re.compile(r"[0-9A-Z]{10}"), "a ten-character taxonomy code")
