"""The coding screen's forms: a charge line (procedure, up to 4 modifiers, units, up to 4 pointers)
and a diagnosis to add. They parse; the rules are the services'."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from practica.claims.models import ProcedureCode, modifier_format
from practica.claims.services import ChargeInput

MODIFIERS = ("modifier_1", "modifier_2", "modifier_3", "modifier_4")
POINTERS = ("pointer_1", "pointer_2", "pointer_3", "pointer_4")


class ModifierField(forms.CharField):
    """Two letters or digits, as typed in either case."""

    def __init__(self) -> None:
        super().__init__(max_length=2, required=False, validators=[modifier_format])

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().upper()


class ChargeLineForm(forms.Form):
    procedure = forms.ModelChoiceField(queryset=ProcedureCode.objects.none(), empty_label=None)
    units = forms.IntegerField(min_value=1, max_value=999, initial=1)
    modifier_1 = ModifierField()
    modifier_2 = ModifierField()
    modifier_3 = ModifierField()
    modifier_4 = ModifierField()
    pointer_1 = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    pointer_2 = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    pointer_3 = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    pointer_4 = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(
        self, *args: Any, procedures: QuerySet[ProcedureCode], diagnosis_count: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = procedures  # type: ignore[attr-defined]
        choices = [("", "—"), *((str(n), str(n)) for n in range(1, diagnosis_count + 1))]
        for name in POINTERS:
            self.fields[name].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pointers = [data.get(name) for name in POINTERS if data.get(name)]
        if len(set(pointers)) != len(pointers):
            raise forms.ValidationError("Point at each diagnosis once.")
        return data

    def charge_input(self) -> ChargeInput:
        data = self.cleaned_data
        return ChargeInput(
            procedure=data["procedure"],
            units=data["units"],
            modifiers=[data[name] for name in MODIFIERS if data[name]],
            pointers=[data[name] for name in POINTERS if data.get(name)],
        )


def line_initial(line: Any) -> dict[str, Any]:
    """A saved charge line as the form's initial values."""
    return {
        "procedure": line.procedure_id,
        "units": line.units,
        **{name: getattr(line, name) for name in MODIFIERS},
        **{name: getattr(line, name) or "" for name in POINTERS},
    }


class DiagnosisSearchForm(forms.Form):
    q = forms.CharField(label="Find a diagnosis", max_length=100, required=False)
