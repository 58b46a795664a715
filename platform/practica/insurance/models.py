"""Payers a practice bills and the coverages (policies) its patients hold."""

import uuid
from datetime import date

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ClaimFilingIndicator(models.TextChoices):
    """SBR09 of the 837P: the kind of plan the claim is filed with."""

    SELF_PAY = "09", "Self-pay"
    OTHER_NON_FEDERAL = "11", "Other non-federal programs"
    PPO = "12", "Preferred provider organization (PPO)"
    POS = "13", "Point of service (POS)"
    EPO = "14", "Exclusive provider organization (EPO)"
    INDEMNITY = "15", "Indemnity insurance"
    HMO_MEDICARE_RISK = "16", "HMO Medicare risk"
    DMO = "17", "Dental maintenance organization"
    AUTO = "AM", "Automobile medical"
    BLUE_CROSS_BLUE_SHIELD = "BL", "Blue Cross/Blue Shield"
    CHAMPUS = "CH", "CHAMPUS (TRICARE)"
    COMMERCIAL = "CI", "Commercial insurance"
    DISABILITY = "DS", "Disability"
    FEP = "FI", "Federal employees program"
    HMO = "HM", "Health maintenance organization (HMO)"
    LIABILITY = "LM", "Liability medical"
    MEDICARE_A = "MA", "Medicare Part A"
    MEDICARE_B = "MB", "Medicare Part B"
    MEDICAID = "MC", "Medicaid"
    OTHER_FEDERAL = "OF", "Other federal program"
    TITLE_V = "TV", "Title V"
    VETERANS = "VA", "Veterans Affairs plan"
    WORKERS_COMP = "WC", "Workers' compensation health claim"
    MUTUALLY_DEFINED = "ZZ", "Mutually defined"


class Payer(models.Model):
    """An insurer the practice bills: its ids at the clearinghouses it sends through, the plan kind
    (SBR09), how long it accepts claims after the date of service, and what its claims require."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    # Payer id (NM109 of loop 2010BB) by clearinghouse adapter name, e.g. {"folder": "87726"}.
    payer_ids = models.JSONField(default=dict, blank=True)
    claim_filing_indicator = models.CharField(
        "Claim filing indicator (SBR09)",
        max_length=2,
        choices=ClaimFilingIndicator.choices,
        default=ClaimFilingIndicator.COMMERCIAL,
    )
    timely_filing_days = models.PositiveSmallIntegerField(default=365, validators=[MinValueValidator(1)])
    # How long after its decision the payer hears an appeal: the denials queue's due dates.
    appeal_window_days = models.PositiveSmallIntegerField(default=60, validators=[MinValueValidator(1)])
    requires_referring_provider = models.BooleanField(default=False)
    requires_prior_authorization = models.BooleanField(default=False)
    requires_taxonomy = models.BooleanField(default=False)
    address_line1 = models.CharField(max_length=55, blank=True)
    address_line2 = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="payer_name_unique"),
            models.CheckConstraint(
                condition=Q(timely_filing_days__gte=1), name="payer_timely_filing_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def payer_id_for(self, clearinghouse: str) -> str:
        """The payer's id at this clearinghouse ('' when the practice has not entered one)."""
        return str(self.payer_ids.get(clearinghouse, ""))

    @property
    def is_medicare(self) -> bool:
        return self.claim_filing_indicator in (
            ClaimFilingIndicator.MEDICARE_A,
            ClaimFilingIndicator.MEDICARE_B,
        )


class Priority(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")
    TERTIARY = "tertiary", _("Tertiary")


class Relationship(models.TextChoices):
    """The patient's relationship to the subscriber: X12 individual relationship codes (SBR02/PAT01)."""

    SELF = "18", _("Self")
    SPOUSE = "01", _("Spouse")
    CHILD = "19", _("Child")
    EMPLOYEE = "20", _("Employee")
    ORGAN_DONOR = "39", _("Organ donor")
    CADAVER_DONOR = "40", _("Cadaver donor")
    LIFE_PARTNER = "53", _("Life partner")
    OTHER = "G8", _("Other relationship")
    UNKNOWN = "21", _("Unknown")


class SubscriberSex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "U", _("Unknown")


def _card_path(instance: "Coverage", filename: str) -> str:
    # Never the uploader's file name: it may carry a name, and it is not ours to trust.
    return f"insurance-cards/{instance.patient_id}/{uuid.uuid4().hex}"


class Coverage(models.Model):
    """A patient's insurance policy: who pays (payer, or the payer's name as given when it matches
    no payer row yet), in which order (priority), the member and group ids, the subscriber (the
    policy holder, who may be someone else than the patient) and when it is in force.

    At most one coverage per priority is active (not ended) per patient; the primary is the one the
    portal and intake show. Ended coverages stay as history: claims point at them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="coverages")
    priority = models.CharField(max_length=9, choices=Priority.choices, default=Priority.PRIMARY)
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="coverages"
    )
    # The payer's name as the patient or a migration gave it, kept while no payer row matches.
    unmapped_payer_name = models.CharField(max_length=120, blank=True)
    member_id = models.CharField(_("Member ID"), max_length=80)
    group_number = models.CharField(_("Group number"), max_length=50, blank=True)
    group_name = models.CharField(_("Group name"), max_length=60, blank=True)
    relationship = models.CharField(
        _("Patient's relationship to subscriber"),
        max_length=2,
        choices=Relationship.choices,
        default=Relationship.SELF,
    )
    subscriber_last_name = models.CharField(max_length=60, blank=True)
    subscriber_first_name = models.CharField(max_length=35, blank=True)
    subscriber_middle_name = models.CharField(max_length=25, blank=True)
    subscriber_suffix = models.CharField(max_length=10, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(
        max_length=1, choices=SubscriberSex.choices, default=SubscriberSex.UNKNOWN
    )
    subscriber_address_line1 = models.CharField(max_length=55, blank=True)
    subscriber_address_line2 = models.CharField(max_length=55, blank=True)
    subscriber_city = models.CharField(max_length=30, blank=True)
    subscriber_state = models.CharField(max_length=2, blank=True)
    subscriber_postal_code = models.CharField(max_length=10, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True, help_text="Last day covered; empty: no end.")
    prior_authorization_number = models.CharField(max_length=50, blank=True)
    # What the patient pays at a visit under this plan, in cents, as the card or the payer says;
    # empty: not known. The front desk collects it at check-in.
    copay_cents = models.PositiveIntegerField(null=True, blank=True)
    card_front = models.FileField(upload_to=_card_path, blank=True)
    card_front_content_type = models.CharField(max_length=40, blank=True)
    card_back = models.FileField(upload_to=_card_path, blank=True)
    card_back_content_type = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True, help_text="Off: replaced or removed; kept as history.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["patient", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "priority"],
                condition=Q(is_active=True),
                name="one_active_coverage_per_priority",
            ),
            models.CheckConstraint(
                condition=Q(payer__isnull=False) | ~Q(unmapped_payer_name=""),
                name="coverage_names_its_payer",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="coverage_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "is_active", "priority"], name="coverage_patient_idx"),
            models.Index(fields=["payer"], name="coverage_payer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()} coverage of patient {self.patient_id}"

    @property
    def payer_name(self) -> str:
        return self.payer.name if self.payer_id and self.payer else self.unmapped_payer_name

    @property
    def subscriber_is_patient(self) -> bool:
        return self.relationship == Relationship.SELF

    @property
    def subscriber_display_name(self) -> str:
        parts = [self.subscriber_first_name, self.subscriber_middle_name, self.subscriber_last_name]
        name = " ".join(part for part in parts if part)
        return f"{name} {self.subscriber_suffix}".strip() if self.subscriber_suffix else name

    def covers(self, day: date) -> bool:
        """In force on this date (the bounds are inclusive; open ends are open)."""
        starts_ok = self.effective_from is None or self.effective_from <= day
        return starts_ok and (self.effective_to is None or day <= self.effective_to)
