"""Forms for intake: the patient's packet, built from the practice's items, and the setup forms."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.forms import PortalForm
from practica.intake.errors import UploadRejected
from practica.intake.models import IntakeItem, IntakeResponse
from practica.intake.uploads import TYPE_NAMES, check_upload
from practica.patients.models import Patient

YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


def _field_name(item: IntakeItem) -> str:
    return f"item_{item.pk.hex}"


def _question_field(item: IntakeItem, required: bool) -> forms.Field:
    kind = IntakeItem.FieldType
    common: dict[str, Any] = {"label": item.label, "required": required}
    if item.field_type == kind.LONG_TEXT:
        return forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if item.field_type == kind.YES_NO:
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    if item.field_type == kind.SINGLE_CHOICE:
        return forms.ChoiceField(
            choices=[(c, c) for c in item.choice_list], widget=forms.RadioSelect, **common
        )
    if item.field_type == kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if item.field_type == kind.NUMBER:
        return forms.DecimalField(max_digits=12, decimal_places=3, **common)
    return forms.CharField(max_length=200, **common)


@dataclass
class PacketRow:
    item: IntakeItem
    field: forms.BoundField
    response: IntakeResponse | None


class PacketForm(PortalForm):
    """One field per active item. A signature or document already given (and not rejected) need
    not be given again; a new one replaces it."""

    def __init__(
        self,
        *args: Any,
        items: list[IntakeItem],
        responses: dict[Any, IntakeResponse],
        patient: Patient,
        **kwargs: Any,
    ) -> None:
        self.items = items
        self.responses = responses
        self.patient = patient
        initial = {}
        for item in items:
            response = responses.get(item.pk)
            if item.kind == IntakeItem.Kind.QUESTION and response is not None:
                initial[_field_name(item)] = response.answer
        super().__init__(*args, **kwargs)
        self.initial.update(initial)
        for item in items:
            response = responses.get(item.pk)
            usable = response is not None and response.review != IntakeResponse.Review.REJECTED
            if item.kind == IntakeItem.Kind.QUESTION:
                field = _question_field(item, item.required)
            elif item.kind == IntakeItem.Kind.CONSENT:
                current = item.current_consent_text()
                signed_current = usable and response is not None and response.consent_text == current
                field = forms.CharField(
                    label=_("Type your full name to sign: %(consent)s") % {"consent": item.label},
                    max_length=200,
                    required=not signed_current,
                    help_text=_("Already signed; type your name again only to sign anew.")
                    if signed_current
                    else "",
                )
            else:
                field = forms.FileField(
                    label=item.label,
                    required=item.required and not usable,
                    help_text=_("%(types)s, up to 10 MB.") % {"types": TYPE_NAMES}
                    + (" " + _("Already uploaded.") if usable else ""),
                )
            self.fields[_field_name(item)] = field

    @property
    def rows(self) -> list[PacketRow]:
        return [PacketRow(i, self[_field_name(i)], self.responses.get(i.pk)) for i in self.items]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        expected = " ".join(f"{self.patient.first_name} {self.patient.last_name}".split()).casefold()
        for item in self.items:
            name = _field_name(item)
            value = cleaned.get(name)
            signed_as = " ".join(str(value or "").split()).casefold()
            if item.kind == IntakeItem.Kind.CONSENT and value and signed_as != expected:
                self.add_error(name, _("Type your first and last name exactly as the practice has them."))
            if item.kind == IntakeItem.Kind.DOCUMENT and isinstance(value, UploadedFile):
                try:
                    check_upload(value)
                except UploadRejected as error:
                    self.add_error(name, str(error))
        return cleaned

    def answers(self) -> dict[Any, str]:
        values: dict[Any, str] = {}
        for item in self.items:
            if item.kind != IntakeItem.Kind.QUESTION:
                continue
            value = self.cleaned_data.get(_field_name(item))
            values[item.pk] = (
                "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
            )
        return values

    def signatures(self) -> dict[Any, str]:
        return {
            item.pk: " ".join(self.cleaned_data[_field_name(item)].split())
            for item in self.items
            if item.kind == IntakeItem.Kind.CONSENT and self.cleaned_data.get(_field_name(item))
        }

    def documents(self) -> dict[Any, UploadedFile]:
        return {
            item.pk: self.cleaned_data[_field_name(item)]
            for item in self.items
            if item.kind == IntakeItem.Kind.DOCUMENT and self.cleaned_data.get(_field_name(item))
        }


class QuestionForm(forms.Form):
    label = forms.CharField(label="Question", max_length=200)
    field_type = forms.ChoiceField(label="Kind of answer", choices=IntakeItem.FieldType.choices)
    choices = forms.CharField(
        label="Options (one a line, for one-choice questions)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    required = forms.BooleanField(label="Answer required", required=False, initial=True)


class ConsentForm(forms.Form):
    label = forms.CharField(label="Consent title", max_length=200)
    body = forms.CharField(
        label="Text the patient signs", max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )


class ConsentRevisionForm(forms.Form):
    body = forms.CharField(label="New wording", max_length=20000, widget=forms.Textarea(attrs={"rows": 8}))


class DocumentRequestForm(forms.Form):
    document_kind = forms.ChoiceField(label="Document", choices=IntakeItem.DocumentKind.choices)
    required = forms.BooleanField(label="Upload required", required=False, initial=True)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label="Decision", choices=[("accept", "Accept"), ("reject", "Reject")])
    reason = forms.CharField(label="Reason (shown to the practice only)", max_length=300, required=False)
