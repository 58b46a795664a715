"""What payers pay and say about the practice's claims: 835 files, the payments they carry (one
per transaction set: a check or EFT), claim and service-line payments with their adjustments, the
payer's provider-level adjustments, what could not be posted (exceptions), and the insurance
ledger the postings make. Money is in integer cents throughout.

The insurance ledger is append-only (a database trigger refuses UPDATE and DELETE) and each entry
carries a unique source key, so posting the same payment twice adds nothing. Insurance money never
goes into the patient ledger: only the patient's responsibility (CAS group PR) becomes a charge
there, through practica.patient_billing's ledger service.
"""

import uuid
from typing import Any

from django.db import models
from django.db.models import Q


class RemittanceFile(models.Model):
    """An 835 file as received: known by the SHA-256 of its bytes, so reading it again posts
    nothing. `validation` holds pyx12's findings (it is never refused for those alone)."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded"
        INBOX = "inbox", "Clearinghouse inbox"
        COMMAND = "command", "Command line"
        DEMO = "demo", "Demo data"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file_name = models.CharField(max_length=200)
    source = models.CharField(max_length=8, choices=Source.choices)
    content_sha256 = models.CharField(max_length=64, unique=True)
    content = models.TextField(blank=True)
    interchange_control_number = models.CharField(max_length=9, blank=True)
    # pyx12: {"checked": bool, "valid": bool, "findings": [str, ...]}
    validation = models.JSONField(default=dict, blank=True)
    imported_by_id = models.BigIntegerField(null=True, blank=True, help_text="Staff user id.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def validation_findings(self) -> list[str]:
        return list(self.validation.get("findings", []))


class Remittance(models.Model):
    """One payment (an 835 transaction set, or a paper EOB and check posted by hand): the check or
    EFT trace number, the payer, the amount and date. A trace number seen before in another file is
    a probable duplicate: its claims are held until a person decides."""

    class Method(models.TextChoices):
        CHECK = "CHK", "Check"
        ACH = "ACH", "ACH (EFT)"
        FEDWIRE = "FWT", "Fedwire"
        BOP = "BOP", "Financial institution option"
        NONE = "NON", "No payment"

    class Duplicate(models.TextChoices):
        NO = "", "Not a duplicate"
        SUSPECTED = "suspected", "Probable duplicate: to decide"
        CONFIRMED = "confirmed", "Duplicate: not posted"
        CLEARED = "cleared", "Not a duplicate: posted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.ForeignKey(
        RemittanceFile, null=True, blank=True, on_delete=models.PROTECT, related_name="remittances"
    )
    # The transaction set's place in its file (1, 2, ...); 1 for a payment posted by hand.
    position = models.PositiveSmallIntegerField(default=1)
    is_manual = models.BooleanField(default=False)
    payer = models.ForeignKey(
        "insurance.Payer", null=True, blank=True, on_delete=models.PROTECT, related_name="remittances"
    )
    payer_name = models.CharField(max_length=120, blank=True)
    payer_identifier = models.CharField(max_length=80, blank=True)
    payee_name = models.CharField(max_length=120, blank=True)
    payee_identifier = models.CharField(max_length=80, blank=True)
    handling_code = models.CharField(max_length=2, blank=True)
    payment_method = models.CharField(max_length=3, blank=True)
    credit_debit = models.CharField(max_length=1, blank=True)
    total_paid_cents = models.BigIntegerField(default=0)
    payment_date = models.DateField(null=True, blank=True)
    trace_number = models.CharField(max_length=50, blank=True)
    originator_id = models.CharField(max_length=50, blank=True)
    st_control_number = models.CharField(max_length=9, blank=True)
    duplicate_status = models.CharField(
        max_length=9, choices=Duplicate.choices, default=Duplicate.NO, blank=True
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="suspected_duplicates"
    )
    created_by_id = models.BigIntegerField(null=True, blank=True, help_text="Staff user id.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["file", "position"], condition=Q(file__isnull=False), name="remittance_once_per_file"
            ),
        ]
        indexes = [
            models.Index(fields=["trace_number", "originator_id"], name="remittance_trace_idx"),
            models.Index(fields=["payment_date"], name="remittance_date_idx"),
        ]

    def __str__(self) -> str:
        method = dict(self.Method.choices).get(self.payment_method, "Payment")
        return f"{method} {self.trace_number}"

    @property
    def is_held(self) -> bool:
        return self.duplicate_status in (self.Duplicate.SUSPECTED, self.Duplicate.CONFIRMED)


class ClaimPayment(models.Model):
    """A payer's word on one claim (CLP): matched to the claim by its patient control number (or
    by a person), posted when it balances and matches, held with its exceptions otherwise."""

    class State(models.TextChoices):
        POSTED = "posted", "Posted"
        HELD = "held", "Held: see its exceptions"
        NOT_POSTED = "not_posted", "Not posted (nothing to post, or a duplicate)"

    class MatchedBy(models.TextChoices):
        NONE = "", "Not matched"
        CONTROL_NUMBER = "control_number", "Patient control number"
        PERSON = "person", "Matched by a person"
        MANUAL = "manual", "Posted by hand"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE, related_name="claim_payments")
    position = models.PositiveIntegerField()
    claim = models.ForeignKey(
        "claims.Claim", null=True, blank=True, on_delete=models.PROTECT, related_name="claim_payments"
    )
    matched_by = models.CharField(max_length=14, choices=MatchedBy.choices, default="", blank=True)
    patient_control_number = models.CharField(max_length=38)
    status_code = models.CharField(max_length=2)
    charge_cents = models.BigIntegerField()
    paid_cents = models.BigIntegerField()
    patient_responsibility_cents = models.BigIntegerField(default=0)
    filing_indicator = models.CharField(max_length=2, blank=True)
    payer_claim_control_number = models.CharField(max_length=50, blank=True)
    patient_last_name = models.CharField(max_length=60, blank=True)
    patient_first_name = models.CharField(max_length=35, blank=True)
    member_id = models.CharField(max_length=80, blank=True)
    statement_from = models.DateField(null=True, blank=True)
    statement_to = models.DateField(null=True, blank=True)
    remark_codes = models.JSONField(default=list, blank=True)
    # The line of the 835 the CLP is on (0 for a payment posted by hand).
    source_line = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.HELD)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["remittance", "position"]
        constraints = [
            models.UniqueConstraint(fields=["remittance", "position"], name="claim_payment_once"),
        ]
        indexes = [
            models.Index(fields=["claim", "posted_at"], name="claim_payment_claim_idx"),
            models.Index(fields=["state"], name="claim_payment_state_idx"),
            models.Index(fields=["patient_control_number"], name="claim_payment_pcn_idx"),
        ]

    def __str__(self) -> str:
        return f"Payment of claim {self.patient_control_number} ({self.status_code})"

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"

    @property
    def is_denied(self) -> bool:
        return self.status_code == "4"

    @property
    def status_label(self) -> str:
        from practica.x12.remit835 import CLAIM_STATUSES

        return CLAIM_STATUSES.get(self.status_code, f"status {self.status_code}")


class ServicePayment(models.Model):
    """A payer's word on one service line (SVC), matched to the claim's line by its line control
    number (REF*6R), or by procedure and date of service when the payer dropped or changed it."""

    class MatchedBy(models.TextChoices):
        NONE = "", "Not matched"
        CONTROL_NUMBER = "control_number", "Line control number"
        PROCEDURE_DATE = "procedure_date", "Procedure and date of service"
        PERSON = "person", "Matched by a person"
        MANUAL = "manual", "Posted by hand"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim_payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="services")
    position = models.PositiveSmallIntegerField()
    claim_line = models.ForeignKey(
        "claims.ClaimLine", null=True, blank=True, on_delete=models.PROTECT, related_name="service_payments"
    )
    matched_by = models.CharField(max_length=14, choices=MatchedBy.choices, default="", blank=True)
    procedure_qualifier = models.CharField(max_length=2, blank=True)
    procedure_code = models.CharField(max_length=48)
    modifiers = models.JSONField(default=list, blank=True)
    # SVC06 when the payer paid another code than the one sent.
    submitted_procedure_code = models.CharField(max_length=48, blank=True)
    charge_cents = models.BigIntegerField()
    paid_cents = models.BigIntegerField()
    allowed_cents = models.BigIntegerField(null=True, blank=True)
    units_paid = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)
    date_of_service = models.DateField(null=True, blank=True)
    line_control_number = models.CharField(max_length=50, blank=True)
    remark_codes = models.JSONField(default=list, blank=True)
    source_line = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["claim_payment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["claim_payment", "position"], name="service_payment_once"),
        ]
        indexes = [models.Index(fields=["claim_line"], name="service_payment_line_idx")]

    def __str__(self) -> str:
        return f"Payment of {self.procedure_code} ({self.paid_cents} cents)"


class Adjustment(models.Model):
    """One CAS adjustment: group (CO contractual, PI payer-initiated, PR patient responsibility, OA
    other, CR correction), CARC reason, amount (positive lowers what the payer pays) and quantity.
    On a service payment, or on the claim payment itself when `service` is empty."""

    class Group(models.TextChoices):
        CONTRACTUAL = "CO", "Contractual obligation"
        PAYER_INITIATED = "PI", "Payer initiated reduction"
        PATIENT = "PR", "Patient responsibility"
        OTHER = "OA", "Other adjustment"
        CORRECTION = "CR", "Correction or reversal"

    claim_payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="adjustments")
    service = models.ForeignKey(
        ServicePayment, null=True, blank=True, on_delete=models.CASCADE, related_name="adjustments"
    )
    group = models.CharField(max_length=2, choices=Group.choices)
    reason_code = models.CharField(max_length=5)
    amount_cents = models.BigIntegerField()
    quantity = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["claim_payment", "service", "id"]
        indexes = [models.Index(fields=["group", "reason_code"], name="adjustment_reason_idx")]

    def __str__(self) -> str:
        return f"{self.group}-{self.reason_code} {self.amount_cents} cents"


class ProviderAdjustment(models.Model):
    """A provider-level adjustment (PLB: interest, an overpayment recovered, a forward balance...)
    of a payment. It belongs to the practice, not to any patient or claim. A positive amount
    lowered the payment, a negative one raised it."""

    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE, related_name="provider_adjustments")
    provider_identifier = models.CharField(max_length=50)
    fiscal_period_end = models.DateField(null=True, blank=True)
    reason_code = models.CharField(max_length=2)
    reference = models.CharField(max_length=50, blank=True)
    amount_cents = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["remittance", "id"]

    def __str__(self) -> str:
        return f"PLB {self.reason_code} {self.amount_cents} cents"


class RemittanceException(models.Model):
    """Something in a remittance a person must look at: what could not be matched or posted, or
    what pyx12 found. Open until resolved (posted after a manual match, or dismissed)."""

    class Kind(models.TextChoices):
        UNMATCHED_CLAIM = "unmatched_claim", "No claim with this patient control number"
        AMBIGUOUS_CLAIM = "ambiguous_claim", "More than one claim could be meant"
        UNMATCHED_LINE = "unmatched_line", "A paid line matches no line of the claim"
        AMBIGUOUS_LINE = "ambiguous_line", "A paid line could be more than one line of the claim"
        LINE_OUT_OF_BALANCE = "line_balance", "Line out of balance"
        CLAIM_OUT_OF_BALANCE = "claim_balance", "Claim out of balance"
        FILE_OUT_OF_BALANCE = "file_balance", "Payment out of balance"
        PROBABLE_DUPLICATE = "duplicate", "Probable duplicate (same trace number)"
        NOT_OUR_CLAIM = "not_our_claim", "The payer says it is not its claim"
        CLAIM_STATE = "claim_state", "The claim cannot take this payment"
        VALIDATION = "validation", "pyx12 findings"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    remittance = models.ForeignKey(
        Remittance, null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions"
    )
    file = models.ForeignKey(
        RemittanceFile, null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions"
    )
    claim_payment = models.ForeignKey(
        ClaimPayment, null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions"
    )
    service = models.ForeignKey(
        ServicePayment, null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.CharField(max_length=500)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(max_length=300, blank=True)
    resolved_by_id = models.BigIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["status", "kind"], name="remit_exception_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class InsuranceLedgerEntry(models.Model):
    """One posting of insurance money or adjustment to a claim line (or to the claim, for what a
    payer adjusts at claim level or pays without lines). What is still open on a line is its
    charge less the sum of its entries other than denials (`DENIED`: a denial's adjustment stays
    open until the denials queue writes it off or moves it to the patient). Never edited or
    deleted (a database trigger refuses it): a reversal posts counter-entries. `source_key` (the
    payment row and adjustment behind it) makes posting the same thing twice a no-op."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Insurance payment"
        CONTRACTUAL = "contractual", "Contractual adjustment (CO)"
        PAYER_INITIATED = "payer_initiated", "Payer-initiated reduction (PI)"
        PATIENT_RESPONSIBILITY = "patient", "Moved to the patient (PR)"
        OTHER = "other", "Other adjustment (OA)"
        CORRECTION = "correction", "Correction (CR)"
        # A denial's adjustment, which leaves the line open until the denial is worked.
        DENIED = "denied", "Denied: in the work queue"
        WRITTEN_OFF = "written_off", "Written off by the practice"
        TRANSFERRED = "transferred", "Moved to the patient by the practice"

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="insurance_entries")
    claim_line = models.ForeignKey(
        "claims.ClaimLine", null=True, blank=True, on_delete=models.PROTECT, related_name="insurance_entries"
    )
    claim_payment = models.ForeignKey(ClaimPayment, on_delete=models.PROTECT, related_name="ledger_entries")
    payer = models.ForeignKey(
        "insurance.Payer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=15, choices=Kind.choices)
    group = models.CharField(max_length=2, blank=True)
    reason_code = models.CharField(max_length=5, blank=True)
    # Signed: positive lowers what the payer owes on the line; a reversal's entries are negative.
    amount_cents = models.BigIntegerField()
    source_key = models.CharField(max_length=120, unique=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    posted_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["posted_at", "id"]
        verbose_name_plural = "insurance ledger entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="insurance_entry_not_zero"),
        ]
        indexes = [
            models.Index(fields=["claim", "claim_line"], name="insurance_entry_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents} cents"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Insurance ledger entries are append-only; post a counter-entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Insurance ledger entries are append-only; post a counter-entry instead.")
