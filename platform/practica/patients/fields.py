"""The patient picker of every back-office form: each choice named with the birth date (two Grace
Chens differ), and a search as one types (static/js/patient-picker.js asks `patient_search` and
narrows the choices); without script the form's own choices (or its page's search) still work."""

from typing import Any

from django import forms
from django.urls import reverse_lazy

from practica.patients.models import Patient
from practica.patients.selectors import patient_label


class PatientSelect(forms.Select):
    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__({"data-patient-search": reverse_lazy("patient_search"), **(attrs or {})}, choices)


class PatientChoiceField(forms.ModelChoiceField):
    widget = PatientSelect

    def label_from_instance(self, obj: Patient) -> str:
        return patient_label(obj)
