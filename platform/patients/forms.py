import datetime
from typing import Any

from django import forms

from patients.models import Language, Patient, PatientInsurance, PatientProfile
from patients.phones import normalise_phone
from patients.services import INSURANCE_FIELDS, PROFILE_FIELDS
from patients.validators import validate_date_of_birth

PATIENT_FIELDS = ["first_name", "last_name", "date_of_birth", "sex", "phone", "email"]


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "sex", "email", "phone"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def clean_date_of_birth(self) -> datetime.date:
        value = self.cleaned_data["date_of_birth"]
        validate_date_of_birth(value)
        return value

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])


class ProfileForm(forms.Form):
    """Demographics, contact preferences and the emergency contact: one form for the portal and
    the back office, so a rule lives once."""

    first_name = forms.CharField(max_length=80)
    last_name = forms.CharField(max_length=80)
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(choices=Patient.Sex.choices)
    address_line1 = forms.CharField(label="Address", max_length=120, required=False)
    address_line2 = forms.CharField(label="Address line 2", max_length=120, required=False)
    city = forms.CharField(max_length=80, required=False)
    state = forms.CharField(max_length=40, required=False)
    postal_code = forms.CharField(label="ZIP code", max_length=12, required=False)
    phone = forms.CharField(label="Mobile phone", max_length=40, required=False)
    email = forms.EmailField(required=False)
    preferred_language = forms.ChoiceField(label="Preferred language", choices=Language.choices)
    sms_consent = forms.BooleanField(label="You may send me text messages (SMS)", required=False)
    email_consent = forms.BooleanField(label="You may send me email", required=False)
    emergency_name = forms.CharField(label="Emergency contact name", max_length=120, required=False)
    emergency_relation = forms.CharField(label="Emergency contact relation", max_length=60, required=False)
    emergency_phone = forms.CharField(label="Emergency contact phone", max_length=40, required=False)

    @staticmethod
    def initial_for(patient: Patient, profile: PatientProfile) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(patient, name) for name in PATIENT_FIELDS}
        initial.update({name: getattr(profile, name) for name in PROFILE_FIELDS})
        return initial

    def clean_date_of_birth(self) -> datetime.date:
        value = self.cleaned_data["date_of_birth"]
        validate_date_of_birth(value)
        return value

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean_emergency_phone(self) -> str:
        return normalise_phone(self.cleaned_data["emergency_phone"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("sms_consent") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", "Give a mobile number to receive text messages.")
        needs_phone = data.get("emergency_name") and not data.get("emergency_phone")
        if needs_phone and "emergency_phone" not in self.errors:
            self.add_error("emergency_phone", "Give a phone number for your emergency contact.")
        return data


class InsuranceForm(forms.ModelForm):
    card_front = forms.FileField(label="Photo of the card's front", required=False)
    card_back = forms.FileField(label="Photo of the card's back", required=False)

    class Meta:
        model = PatientInsurance
        fields = INSURANCE_FIELDS
