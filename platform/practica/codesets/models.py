"""Public code sets every practice shares (public schema): ICD-10-CM diagnoses and CMS places of
service. Loaded by `manage.py load_codesets`; read-only for the application."""

from django.db import models
from django.db.models import Q


class Icd10Code(models.Model):
    """One ICD-10-CM item (chapter, block, category or code) of the loaded edition.

    `code` is written with its dot (E11.9) as people read it; `compact` without (E119) as X12's HI
    segment carries it. Only `billable` codes (the leaves of the tree) may go on a claim."""

    code = models.CharField(max_length=8, unique=True)
    compact = models.CharField(max_length=8, unique=True)
    description = models.CharField(max_length=400)
    billable = models.BooleanField(default=False)
    chapter = models.CharField(max_length=4, blank=True, help_text="Chapter number, e.g. 4.")
    block = models.CharField(max_length=8, blank=True, help_text="Block, e.g. E08-E13.")
    category = models.CharField(max_length=3, blank=True, help_text="Three-character category, e.g. E11.")
    edition = models.CharField(max_length=20, help_text="The package version it was loaded from.")

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["billable", "code"], name="icd10_billable_code_idx"),
            # The coding screen's search (codesets.selectors.search_diagnoses) by code prefix; the
            # search by words uses a trigram index on UPPER(description) (migration 0003).
            models.Index(
                fields=["compact"],
                opclasses=["varchar_pattern_ops"],
                condition=Q(billable=True),
                name="icd10_billable_prefix_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class PlaceOfService(models.Model):
    """A CMS place-of-service code (CLM05-1 / SV105), with a short label of our own."""

    code = models.CharField(max_length=2, primary_key=True)
    label = models.CharField(max_length=80)
    telehealth = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "places of service"

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class AdjustmentCategory(models.TextChoices):
    """What kind of problem a remittance code points to, for the denials work queue's filters.
    The first ones are denials to work; the last four are ordinary outcomes of a claim."""

    ELIGIBILITY = "eligibility", "Eligibility"
    AUTHORIZATION = "authorization", "Authorization or referral"
    CODING = "coding", "Coding"
    MEDICAL_NECESSITY = "medical_necessity", "Medical necessity"
    BUNDLING = "bundling", "Bundling"
    DUPLICATE = "duplicate", "Duplicate"
    TIMELY_FILING = "timely_filing", "Timely filing"
    COORDINATION_OF_BENEFITS = "coordination_of_benefits", "Coordination of benefits"
    MISSING_INFORMATION = "missing_information", "Missing information"
    NON_COVERED = "non_covered", "Not covered"
    PROVIDER = "provider", "Provider enrolment"
    OTHER = "other", "Other"
    CONTRACTUAL = "contractual", "Contractual"
    PATIENT_RESPONSIBILITY = "patient_responsibility", "Patient responsibility"
    PAYMENT_ADJUSTMENT = "payment_adjustment", "Payment adjustment"
    INFORMATIONAL = "informational", "Informational"


#: Categories that are an expected outcome of a claim, not a denial someone has to work.
ROUTINE_CATEGORIES = frozenset(
    {
        AdjustmentCategory.CONTRACTUAL,
        AdjustmentCategory.PATIENT_RESPONSIBILITY,
        AdjustmentCategory.PAYMENT_ADJUSTMENT,
        AdjustmentCategory.INFORMATIONAL,
    }
)


class RemittanceCode(models.Model):
    """A claim adjustment reason code (CARC, the CAS segment's reason) or a remittance advice
    remark code (RARC, LQ/MOA/MIA), with our own plain wording and a category. Loaded from
    `codesets/data/carc.csv` and `rarc.csv` by `manage.py load_codesets`."""

    class Kind(models.TextChoices):
        CARC = "carc", "Claim adjustment reason code"
        RARC = "rarc", "Remittance advice remark code"

    kind = models.CharField(max_length=4, choices=Kind.choices)
    code = models.CharField(max_length=8)
    meaning = models.CharField(max_length=300)
    category = models.CharField(max_length=30, choices=AdjustmentCategory.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="remittance_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.meaning}"

    @property
    def needs_work(self) -> bool:
        return self.category not in ROUTINE_CATEGORIES
