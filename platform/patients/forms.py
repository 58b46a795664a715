import datetime

from django import forms

from patients.models import Patient
from patients.validators import validate_date_of_birth


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "sex", "email", "phone"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def clean_date_of_birth(self) -> datetime.date:
        value = self.cleaned_data["date_of_birth"]
        validate_date_of_birth(value)
        return value
