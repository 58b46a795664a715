from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from practica.core.names import split_person_name
from practica.insurance.models import Coverage, Relationship
from practica.patients.errors import InvalidPatient
from practica.patients.models import Patient, PatientProfile
from practica.patients.services import PATIENT_FIELDS, PROFILE_FIELDS


class PatientForm(forms.Form):
    """The back office's new-patient and edit form: parses the input; the rules are the service's
    (practica.patients.services.create_patient / update_patient)."""

    first_name = forms.CharField(label="First name", max_length=80)
    last_name = forms.CharField(label="Last name", max_length=80)
    date_of_birth = forms.DateField(label="Date of birth", widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(label="Sex", choices=Patient.Sex.choices, initial=Patient.Sex.UNKNOWN)
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    not_a_duplicate = forms.BooleanField(
        label="This is a different person: create the record anyway",
        required=False,
        help_text="Only tick this after checking the likely duplicates above.",
    )

    def __init__(self, *args: Any, new: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The box appears once a first attempt was answered with likely duplicates, not before.
        if not new or not self.is_bound:
            self.fields.pop("not_a_duplicate")

    @staticmethod
    def initial_for(patient: Patient | None) -> dict[str, Any]:
        return {name: getattr(patient, name) for name in PATIENT_FIELDS} if patient is not None else {}


class ProfileForm(forms.Form):
    """Demographics, contact preferences and the emergency contact: one form for the portal and
    the back office. It parses the input; the rules are update_patient's, shown by add_errors."""

    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(label=_("Sex"), choices=Patient.Sex.choices)
    address_line1 = forms.CharField(label=_("Address"), max_length=120, required=False)
    address_line2 = forms.CharField(label=_("Address line 2"), max_length=120, required=False)
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    state = forms.CharField(label=_("State"), max_length=40, required=False)
    postal_code = forms.CharField(label=_("ZIP code"), max_length=12, required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    # Each language named in itself (settings.LANGUAGES), so a patient finds their own.
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
    sms_consent = forms.BooleanField(label=_("You may send me text messages (SMS)"), required=False)
    email_consent = forms.BooleanField(label=_("You may send me email"), required=False)
    emergency_name = forms.CharField(label=_("Emergency contact name"), max_length=120, required=False)
    emergency_relation = forms.CharField(label=_("Emergency contact relation"), max_length=60, required=False)
    emergency_phone = forms.CharField(label=_("Emergency contact phone"), max_length=40, required=False)

    @staticmethod
    def initial_for(patient: Patient, profile: PatientProfile) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(patient, name) for name in PATIENT_FIELDS}
        initial.update({name: getattr(profile, name) for name in PROFILE_FIELDS})
        return initial


def add_errors(form: forms.Form, error: InvalidPatient) -> None:
    """Show what the patient service refused on the form, each message by its field."""
    for field, (_code, message) in error.errors.items():
        form.add_error(field if field in form.fields else None, message)


class InsuranceForm(forms.Form):
    """The primary coverage as a patient (or the front desk) gives it: the payer's name, the ids on
    the card, the subscriber's name in one field and a plain relationship. Saved through
    practica.insurance.services.save_coverage, which matches the payer and keeps the X12 codes."""

    RELATIONSHIPS = [
        ("self", _("Self")),
        ("spouse", _("Spouse")),
        ("child", _("Child")),
        ("other", _("Other")),
    ]
    _TO_X12 = {"self": Relationship.SELF, "spouse": Relationship.SPOUSE, "child": Relationship.CHILD}

    payer = forms.CharField(label=_("Insurance company (payer)"), max_length=120)
    member_id = forms.CharField(label=_("Member ID"), max_length=40)
    group_number = forms.CharField(label=_("Group number"), max_length=40, required=False)
    subscriber_name = forms.CharField(label=_("Subscriber name"), max_length=120)
    subscriber_relationship = forms.ChoiceField(
        label=_("Patient's relationship to subscriber"), choices=RELATIONSHIPS, initial="self"
    )
    card_front = forms.FileField(label=_("Photo of the card's front"), required=False)
    card_back = forms.FileField(label=_("Photo of the card's back"), required=False)

    @classmethod
    def initial_for(cls, coverage: Coverage | None) -> dict[str, Any]:
        if coverage is None:
            return {}
        words: dict[str, str] = {str(code): word for word, code in cls._TO_X12.items()}
        return {
            "payer": coverage.payer_name,
            "member_id": coverage.member_id,
            "group_number": coverage.group_number,
            "subscriber_name": coverage.subscriber_display_name,
            "subscriber_relationship": words.get(coverage.relationship, "other"),
        }

    def coverage_data(self) -> dict[str, Any]:
        """What save_coverage takes, from the cleaned fields."""
        data = self.cleaned_data
        name = split_person_name(data["subscriber_name"])
        return {
            "payer_name": data["payer"],
            "member_id": data["member_id"].strip(),
            "group_number": data["group_number"].strip(),
            "relationship": self._TO_X12.get(data["subscriber_relationship"], Relationship.OTHER),
            "subscriber_first_name": name.first[:35],
            "subscriber_middle_name": name.middle[:25],
            "subscriber_last_name": name.last[:60],
            "subscriber_suffix": name.suffix[:10],
        }


class StaffInsuranceForm(InsuranceForm):
    """The back office's form adds what the patient does not give in the portal: the copay."""

    copay = forms.DecimalField(
        label="Copay per visit (USD)",
        max_digits=7,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="As on the card or from the payer; empty when not known. Collected at check-in.",
    )

    @classmethod
    def initial_for(cls, coverage: Coverage | None) -> dict[str, Any]:
        initial = super().initial_for(coverage)
        if coverage is not None and coverage.copay_cents is not None:
            initial["copay"] = f"{coverage.copay_cents / 100:.2f}"
        return initial

    def coverage_data(self) -> dict[str, Any]:
        copay = self.cleaned_data.get("copay")
        return {**super().coverage_data(), "copay_cents": None if copay is None else int(copay * 100)}
