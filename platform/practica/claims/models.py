"""The practice's side of insurance billing: its billing identity, procedure list and fees, the
encounters coded from visits, the claims made of them, their scrub findings, the batches they are
sent in and the acknowledgements that come back. Money is in integer cents throughout."""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from practica.scheduling.validators import (
    validate_npi,
    validate_place_of_service,
    validate_state,
    validate_taxonomy,
    validate_zip,
)

ein_format = RegexValidator(r"^\d{9}$", "Enter the EIN as 9 digits, without the dash.")
zip_plus_four = RegexValidator(
    r"^\d{9}$", "Enter the ZIP+4 as 9 digits (ZIP code and the 4-digit extension)."
)
procedure_format = RegexValidator(r"^[0-9A-Z]{5}$", "Enter a 5-character CPT or HCPCS code.")
modifier_format = RegexValidator(r"^[0-9A-Z]{2}$", "A modifier is 2 letters or digits.")


class Clearinghouse(models.TextChoices):
    """How claims leave and acknowledgements arrive (see the x12 adapters)."""

    FOLDER = "folder", "Files in the practice's EDI outbox and inbox folders"


class UsageIndicator(models.TextChoices):
    """ISA15."""

    TEST = "T", "Test"
    PRODUCTION = "P", "Production"


class BillingProfile(models.Model):
    """The practice as the billing provider of its claims (loop 2010AA), the pay-to address (2010AB),
    the submitter (1000A) and receiver (1000B), the interchange envelope's ids, and the clearinghouse
    the claims go through. One row per practice schema."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    legal_name = models.CharField(max_length=60)
    group_npi = models.CharField("Group NPI", max_length=10, validators=[validate_npi])
    ein = models.CharField("EIN (tax id)", max_length=9, validators=[ein_format])
    taxonomy = models.CharField(max_length=10, blank=True, validators=[validate_taxonomy])
    phone = models.CharField(max_length=20, blank=True)
    # The billing address must be a street address (no PO box), with ZIP+4.
    address_line1 = models.CharField(max_length=55)
    address_line2 = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30)
    state = models.CharField(max_length=2, validators=[validate_state])
    postal_code = models.CharField("ZIP+4", max_length=9, validators=[zip_plus_four])
    # Where payments go, when not to the billing address (PO boxes allowed here).
    pay_to_address_line1 = models.CharField(max_length=55, blank=True)
    pay_to_address_line2 = models.CharField(max_length=55, blank=True)
    pay_to_city = models.CharField(max_length=30, blank=True)
    pay_to_state = models.CharField(max_length=2, blank=True, validators=[validate_state])
    pay_to_postal_code = models.CharField(max_length=9, blank=True, validators=[validate_zip])
    submitter_id = models.CharField(max_length=80)
    submitter_name = models.CharField(max_length=60)
    submitter_contact_name = models.CharField(max_length=60)
    submitter_contact_phone = models.CharField(max_length=20, blank=True)
    submitter_contact_email = models.CharField(max_length=80, blank=True)
    receiver_id = models.CharField(max_length=80)
    receiver_name = models.CharField(max_length=60)
    isa_sender_qualifier = models.CharField(max_length=2, default="ZZ")
    isa_sender_id = models.CharField(max_length=15)
    isa_receiver_qualifier = models.CharField(max_length=2, default="ZZ")
    isa_receiver_id = models.CharField(max_length=15)
    gs_sender_code = models.CharField("GS02 application sender code", max_length=15, blank=True)
    gs_receiver_code = models.CharField("GS03 application receiver code", max_length=15, blank=True)
    usage_indicator = models.CharField(
        "ISA15", max_length=1, choices=UsageIndicator.choices, default=UsageIndicator.TEST
    )
    clearinghouse = models.CharField(
        max_length=20, choices=Clearinghouse.choices, default=Clearinghouse.FOLDER
    )
    outbox_path = models.CharField(
        max_length=500, blank=True, help_text="Folder adapter: where 837P files go."
    )
    inbox_path = models.CharField(
        max_length=500, blank=True, help_text="Folder adapter: where 999 and 277CA files arrive."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(usage_indicator__in=["T", "P"]), name="billing_profile_isa15"),
        ]

    def __str__(self) -> str:
        return f"Billing profile of {self.legal_name}"

    @property
    def has_pay_to_address(self) -> bool:
        return bool(self.pay_to_address_line1)


class ProcedureCode(models.Model):
    """A procedure on the practice's own list (CPT or HCPCS Level II), with the practice's own short
    label (CPT descriptions are licensed: none are shipped) and its default fee."""

    class Kind(models.TextChoices):
        CPT = "cpt", "CPT"
        HCPCS = "hcpcs", "HCPCS Level II"

    code = models.CharField(max_length=5, unique=True, validators=[procedure_format])
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.CPT)
    label = models.CharField(max_length=120)
    default_fee_cents = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["is_active", "code"], name="procedure_active_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def qualifier(self) -> str:
        """SV101-1: HC (HCPCS, which includes CPT)."""
        return "HC"


class AppointmentTypeProcedure(models.Model):
    """A procedure an appointment type usually carries: its charge lines are pre-filled with these."""

    appointment_type = models.ForeignKey(
        "scheduling.AppointmentType", on_delete=models.CASCADE, related_name="default_procedure_links"
    )
    procedure = models.ForeignKey(ProcedureCode, on_delete=models.CASCADE, related_name="+")
    units = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["appointment_type", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment_type", "procedure"], name="one_default_procedure_per_type"
            ),
            models.CheckConstraint(condition=Q(units__gte=1), name="default_procedure_units_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id} by default on {self.appointment_type_id}"


class FeeSchedule(models.Model):
    """Fees for a payer and/or a location from a date. For a date of service the most specific
    schedule wins (payer and location, then payer, then location, then the practice-wide one), and
    among equally specific ones the latest in effect; a procedure without a fee there is priced at
    its default fee."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    payer = models.ForeignKey(
        "insurance.Payer", null=True, blank=True, on_delete=models.CASCADE, related_name="fee_schedules"
    )
    location = models.ForeignKey(
        "scheduling.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="fee_schedules"
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Last day; empty: no end.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-effective_from", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="fee_schedule_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["payer", "location", "effective_from"], name="fee_schedule_lookup_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} from {self.effective_from}"


class FeeScheduleEntry(models.Model):
    """One procedure's fee in a schedule (per unit)."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="entries")
    procedure = models.ForeignKey(ProcedureCode, on_delete=models.CASCADE, related_name="fee_entries")
    fee_cents = models.PositiveIntegerField()

    class Meta:
        ordering = ["schedule", "procedure__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "procedure"], name="one_fee_per_procedure_and_schedule"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id}: {self.fee_cents} cents"


class Encounter(models.Model):
    """A visit as billed: who saw the patient (provider), who rendered and who referred, where and
    when. Opened once per appointment when it is completed (practica.claims.encounters); its
    diagnoses and charge lines are what claims are made of. Undoing a completion keeps it."""

    class Status(models.TextChoices):
        OPEN = "open", "To code"
        CODED = "coded", "Coded, ready to bill"
        BILLED = "billed", "Billed"
        VOID = "void", "Void (not billed)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.OneToOneField(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="encounter"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="encounters")
    provider = models.ForeignKey("scheduling.Provider", on_delete=models.PROTECT, related_name="encounters")
    rendering_provider = models.ForeignKey(
        "scheduling.Provider", on_delete=models.PROTECT, related_name="rendered_encounters"
    )
    # A practice provider who referred, or an outside one by name and NPI.
    referring_provider = models.ForeignKey(
        "scheduling.Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referred_encounters",
    )
    referring_last_name = models.CharField(max_length=60, blank=True)
    referring_first_name = models.CharField(max_length=35, blank=True)
    referring_npi = models.CharField(max_length=10, blank=True, validators=[validate_npi])
    location = models.ForeignKey("scheduling.Location", on_delete=models.PROTECT, related_name="encounters")
    date_of_service = models.DateField()
    place_of_service = models.CharField(max_length=2, validators=[validate_place_of_service])
    prior_authorization_number = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date_of_service", "-created_at"]
        indexes = [
            models.Index(fields=["status", "date_of_service"], name="encounter_queue_idx"),
            models.Index(fields=["patient", "date_of_service"], name="encounter_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Encounter {self.date_of_service} of patient {self.patient_id}"


class EncounterDiagnosis(models.Model):
    """An ICD-10-CM code on an encounter (dotted form, as in codesets.Icd10Code.code), in the order
    it goes on the claim: position 1 is the principal diagnosis; charge lines point at positions."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="diagnoses")
    position = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(12)])
    code = models.CharField(max_length=8)

    class Meta:
        ordering = ["encounter", "position"]
        constraints = [
            models.UniqueConstraint(fields=["encounter", "position"], name="one_diagnosis_per_position"),
            models.UniqueConstraint(fields=["encounter", "code"], name="diagnosis_once_per_encounter"),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=12), name="diagnosis_position_1_to_12"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.code}"

    @property
    def compact_code(self) -> str:
        """As X12 carries it: without the dot."""
        return self.code.replace(".", "")


def _pointer_ok(name: str) -> Q:
    return Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1, f"{name}__lte": 12})


class ChargeLine(models.Model):
    """A procedure done at the encounter: up to 4 modifiers, units, the fee per unit and the line's
    charge (fee times units, held equal by a constraint), and up to 4 pointers (1-12) at the encounter's
    diagnosis positions."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="charge_lines")
    position = models.PositiveSmallIntegerField(default=1)
    procedure = models.ForeignKey(ProcedureCode, on_delete=models.PROTECT, related_name="charge_lines")
    modifier_1 = models.CharField(max_length=2, blank=True, validators=[modifier_format])
    modifier_2 = models.CharField(max_length=2, blank=True, validators=[modifier_format])
    modifier_3 = models.CharField(max_length=2, blank=True, validators=[modifier_format])
    modifier_4 = models.CharField(max_length=2, blank=True, validators=[modifier_format])
    units = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    unit_fee_cents = models.PositiveIntegerField(default=0)
    charge_cents = models.PositiveIntegerField(default=0)
    pointer_1 = models.PositiveSmallIntegerField(null=True, blank=True)
    pointer_2 = models.PositiveSmallIntegerField(null=True, blank=True)
    pointer_3 = models.PositiveSmallIntegerField(null=True, blank=True)
    pointer_4 = models.PositiveSmallIntegerField(null=True, blank=True)
    date_of_service = models.DateField()
    place_of_service = models.CharField(max_length=2, validators=[validate_place_of_service])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["encounter", "position"]
        constraints = [
            models.UniqueConstraint(fields=["encounter", "position"], name="one_charge_line_per_position"),
            models.CheckConstraint(condition=Q(units__gte=1), name="charge_line_units_positive"),
            models.CheckConstraint(
                condition=Q(charge_cents=F("unit_fee_cents") * F("units")), name="charge_is_fee_times_units"
            ),
            models.CheckConstraint(
                condition=_pointer_ok("pointer_1")
                & _pointer_ok("pointer_2")
                & _pointer_ok("pointer_3")
                & _pointer_ok("pointer_4"),
                name="charge_line_pointers_1_to_12",
            ),
        ]

    def __str__(self) -> str:
        return f"Line {self.position} of encounter {self.encounter_id}"

    @property
    def modifiers(self) -> list[str]:
        return [m for m in (self.modifier_1, self.modifier_2, self.modifier_3, self.modifier_4) if m]

    @property
    def diagnosis_pointers(self) -> list[int]:
        return [p for p in (self.pointer_1, self.pointer_2, self.pointer_3, self.pointer_4) if p]


class ClaimStatus(models.TextChoices):
    """Where a claim is in its life; the allowed moves are practica.claims.lifecycle.TRANSITIONS.
    What has been paid is not a status: it is derived from the postings."""

    DRAFT = "draft", "Draft"
    READY = "ready", "Ready to submit"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    ADJUDICATED = "adjudicated", "Adjudicated"
    CLOSED = "closed", "Closed"
    VOIDED = "voided", "Voided"
    REPLACED = "replaced", "Replaced"


class FrequencyCode(models.TextChoices):
    """CLM05-3: an original claim, a replacement of a prior one, or its void."""

    ORIGINAL = "1", "Original"
    REPLACEMENT = "7", "Replacement of a prior claim"
    VOID = "8", "Void of a prior claim"


class Claim(models.Model):
    """A claim for an encounter's charges to one coverage's payer. Diagnoses and lines are copied
    from the encounter when the claim is made (and refreshed while it is a draft or rejected), so
    what was sent stays as sent. `patient_control_number` (CLM01) comes back in the 835's CLP01;
    `original_claim_number` is the payer's claim control number of the claim a frequency 7 or 8
    replaces or voids (REF*F8). Status moves only through practica.claims.lifecycle."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="claims")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="claims")
    coverage = models.ForeignKey("insurance.Coverage", on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey("insurance.Payer", on_delete=models.PROTECT, related_name="claims")
    patient_control_number = models.CharField(max_length=20, unique=True)
    frequency_code = models.CharField(
        max_length=1, choices=FrequencyCode.choices, default=FrequencyCode.ORIGINAL
    )
    original_claim_number = models.CharField(max_length=50, blank=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    # A claim to the next payer (secondary, tertiary) names the claim the payer before adjudicated
    # and keeps that payer's outcome as it stood when the claim was made (practica.claims.secondary).
    prior_claim = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_payer_claims"
    )
    prior_adjudication = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=11, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    # The ICD-10-CM codes (dotted) in claim order, copied from the encounter.
    diagnosis_codes = models.JSONField(default=list, blank=True)
    place_of_service = models.CharField(max_length=2, validators=[validate_place_of_service])
    prior_authorization_number = models.CharField(max_length=50, blank=True)
    total_charge_cents = models.PositiveIntegerField(default=0)
    # The payer's own number for the claim (277CA / 835 CLP07), needed to replace or void it.
    payer_claim_control_number = models.CharField(max_length=50, blank=True)
    # Kept by the scrubber so queues count without joining the findings.
    error_count = models.PositiveSmallIntegerField(default=0)
    warning_count = models.PositiveSmallIntegerField(default=0)
    scrubbed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True, help_text="Staff user id.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency_code="1") | ~Q(original_claim_number=""),
                name="replacement_or_void_names_original",
            ),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_known"),
            models.CheckConstraint(
                condition=Q(frequency_code__in=["1", "7", "8"]), name="claim_frequency_known"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "payer"], name="claim_queue_idx"),
            models.Index(fields=["payer", "status"], name="claim_payer_status_idx"),
            models.Index(fields=["encounter"], name="claim_encounter_idx"),
            models.Index(fields=["patient", "created_at"], name="claim_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Claim {self.patient_control_number}"


class ClaimTransition(models.Model):
    """One status change of a claim: from, to, when, by whom and why. Append-only history beside
    the audit trail's record of the same change."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=11, choices=ClaimStatus.choices)
    to_status = models.CharField(max_length=11, choices=ClaimStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "at", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.from_status} → {self.to_status}"


class ClaimLine(models.Model):
    """A service line of a claim, copied from its charge line. `line_control_number` (REF*6R) is
    unique and comes back per line in the 835, which is how remittance lines are matched."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    charge_line = models.ForeignKey(ChargeLine, on_delete=models.PROTECT, related_name="claim_lines")
    line_number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(50)])
    line_control_number = models.CharField(max_length=30, unique=True)
    procedure_code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list, blank=True)
    units = models.PositiveSmallIntegerField(default=1)
    charge_cents = models.PositiveIntegerField()
    diagnosis_pointers = models.JSONField(default=list, blank=True)
    date_of_service = models.DateField()
    place_of_service = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["claim", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "line_number"], name="one_claim_line_per_number"),
            models.CheckConstraint(condition=Q(units__gte=1), name="claim_line_units_positive"),
        ]
        indexes = [models.Index(fields=["procedure_code", "date_of_service"], name="claim_line_code_dos_idx")]

    def __str__(self) -> str:
        return f"Line {self.line_number} ({self.line_control_number})"


class Severity(models.TextChoices):
    ERROR = "error", "Error (blocks submission)"
    WARNING = "warning", "Warning"


class ScrubFinding(models.Model):
    """What one scrub rule found wrong with a claim (or one of its lines), kept until the next scrub."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="findings")
    rule_id = models.CharField(max_length=40)
    field = models.CharField(max_length=80, blank=True)
    message = models.CharField(max_length=300)
    severity = models.CharField(max_length=7, choices=Severity.choices)
    line = models.ForeignKey(
        ClaimLine, null=True, blank=True, on_delete=models.CASCADE, related_name="findings"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "-severity", "rule_id"]
        indexes = [
            models.Index(fields=["claim", "severity"], name="finding_claim_idx"),
            models.Index(fields=["rule_id"], name="finding_rule_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.message}"


class ScrubRuleSetting(models.Model):
    """A practice's choice for one built-in rule: switched off, or its severity changed."""

    rule_id = models.CharField(max_length=40, unique=True)
    enabled = models.BooleanField(default=True)
    severity_override = models.CharField(max_length=7, choices=Severity.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.rule_id} ({'on' if self.enabled else 'off'})"


class CustomScrubRule(models.Model):
    """A practice's own simple rule: when `field` compares to `value` by `operator`, report `message`
    (optionally only for one payer). Its rule id is CUSTOM-<id>."""

    class Operator(models.TextChoices):
        EQUALS = "equals", "equals"
        NOT_EQUALS = "not_equals", "does not equal"
        CONTAINS = "contains", "contains"
        NOT_CONTAINS = "not_contains", "does not contain"
        STARTS_WITH = "starts_with", "starts with"
        IS_EMPTY = "is_empty", "is empty"
        IS_NOT_EMPTY = "is_not_empty", "is not empty"
        GREATER_THAN = "gt", "is greater than"
        LESS_THAN = "lt", "is less than"
        MATCHES = "matches", "matches the pattern"

    name = models.CharField(max_length=80)
    field = models.CharField(max_length=80, help_text="e.g. claim.total_charge_cents or line.procedure_code")
    operator = models.CharField(max_length=12, choices=Operator.choices)
    value = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=300)
    severity = models.CharField(max_length=7, choices=Severity.choices, default=Severity.WARNING)
    payer = models.ForeignKey(
        "insurance.Payer", null=True, blank=True, on_delete=models.CASCADE, related_name="custom_scrub_rules"
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def rule_id(self) -> str:
        return f"CUSTOM-{self.pk}"


class SubmissionBatch(models.Model):
    """One 837P file for one payer: its interchange (ISA13), group (GS06) and transaction set (ST02)
    control numbers, each unique in the practice and never reused (practica.claims.numbers), and
    what became of it."""

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted (999)"
        PARTIAL = "partial", "Partly accepted (999)"
        REJECTED = "rejected", "Rejected (999)"
        FAILED = "failed", "Could not be sent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payer = models.ForeignKey("insurance.Payer", on_delete=models.PROTECT, related_name="batches")
    file_name = models.CharField(max_length=200)
    isa_control_number = models.PositiveIntegerField(unique=True)
    gs_control_number = models.PositiveIntegerField(unique=True)
    st_control_number = models.PositiveIntegerField(unique=True)
    usage_indicator = models.CharField(max_length=1, choices=UsageIndicator.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.CREATED)
    claims = models.ManyToManyField(Claim, through="BatchClaim", related_name="batches")
    claim_count = models.PositiveIntegerField(default=0)
    total_charge_cents = models.PositiveBigIntegerField(default=0)
    content_sha256 = models.CharField(max_length=64, blank=True)
    # The file as sent: a 999 names segments by their position in it (practica.x12.read837.claims_at).
    content = models.TextField(blank=True)
    sent_to = models.CharField(
        max_length=500, blank=True, help_text="Where the clearinghouse adapter put it."
    )
    created_by_id = models.BigIntegerField(null=True, blank=True, help_text="Staff user id.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "submission batches"
        indexes = [models.Index(fields=["payer", "created_at"], name="batch_payer_idx")]

    def __str__(self) -> str:
        return self.file_name


class BatchClaim(models.Model):
    """A claim as sent in a batch (a claim resubmitted after a rejection is in several)."""

    batch = models.ForeignKey(SubmissionBatch, on_delete=models.CASCADE, related_name="batch_claims")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="batch_claims")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "claim"], name="claim_once_per_batch")]

    def __str__(self) -> str:
        return f"{self.claim_id} in {self.batch_id}"


class Acknowledgement(models.Model):
    """A 999 or 277CA file read back: its hash makes re-reading the same file a no-op; `result` is
    what the parser found (JSON); each claim it speaks of is linked with the outcome."""

    class Kind(models.TextChoices):
        IMPLEMENTATION = "999", "999 implementation acknowledgement"
        CLAIM_STATUS = "277CA", "277CA claim acknowledgement"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    file_name = models.CharField(max_length=200)
    content_sha256 = models.CharField(max_length=64, unique=True)
    batch = models.ForeignKey(
        SubmissionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="acknowledgements"
    )
    result = models.JSONField(default=dict, blank=True)
    claims = models.ManyToManyField(Claim, through="AcknowledgedClaim", related_name="acknowledgements")
    imported_by_id = models.BigIntegerField(null=True, blank=True, help_text="Staff user id.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"


class AcknowledgedClaim(models.Model):
    """What an acknowledgement said of one claim: accepted or rejected, and why (codes, segment)."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    acknowledgement = models.ForeignKey(
        Acknowledgement, on_delete=models.CASCADE, related_name="claim_results"
    )
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="acknowledgement_results")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    message = models.CharField(max_length=500, blank=True)
    segment = models.CharField(max_length=80, blank=True, help_text="The segment named by the rejection.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["acknowledgement", "claim"], name="claim_once_per_acknowledgement"
            )
        ]
        indexes = [models.Index(fields=["claim", "outcome"], name="ack_claim_idx")]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.outcome}"
