from django import forms
from django.core.exceptions import ValidationError

from notifications.models import Channel, MessageTemplate, ReminderPolicy, ReminderRule
from notifications.services import validate_template


class ReminderPolicyForm(forms.ModelForm):
    notice_channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Channels for booking confirmations and change notices.",
    )

    class Meta:
        model = ReminderPolicy
        fields = [
            "confirm_on_booking",
            "notify_on_reschedule",
            "notify_on_cancel",
            "notice_channels",
            "default_language",
            "quiet_start",
            "quiet_end",
            "min_useful_lead_minutes",
            "email_from",
            "contact_phone",
            "safe_type_names",
        ]
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}),
            "safe_type_names": forms.CheckboxSelectMultiple,
        }
        labels = {"safe_type_names": "Appointment types whose name may appear in messages"}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if self.instance.pk and not self.is_bound:
            self.initial["notice_channels"] = self.instance.notice_channel_list

    def clean_notice_channels(self) -> str:
        return ",".join(self.cleaned_data["notice_channels"])


class ReminderRuleForm(forms.ModelForm):
    offset_hours = forms.DecimalField(min_value=0.25, max_value=720, decimal_places=2, label="Hours before")

    class Meta:
        model = ReminderRule
        fields = ["channel", "appointment_type"]
        labels = {"appointment_type": "Only for this appointment type (empty: all types without their own)"}

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        hours = data.get("offset_hours")
        if hours is not None:
            self.instance.offset_minutes = int(float(hours) * 60)
            if ReminderRule.objects.filter(
                offset_minutes=self.instance.offset_minutes,
                channel=data.get("channel"),
                appointment_type=data.get("appointment_type"),
            ).exists():
                raise ValidationError("That reminder already exists.")
        return data


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["subject", "body_text", "body_html"]
        widgets = {
            "body_text": forms.Textarea(attrs={"rows": 4}),
            "body_html": forms.Textarea(attrs={"rows": 6}),
        }

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        candidate = MessageTemplate(
            kind=self.instance.kind,
            channel=self.instance.channel,
            language=self.instance.language,
            subject=data.get("subject", ""),
            body_text=data.get("body_text", ""),
            body_html=data.get("body_html", ""),
        )
        try:
            validate_template(candidate)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field, message)
        return data


class TwilioSettingsForm(forms.Form):
    account_sid = forms.RegexField(regex=r"^AC[0-9a-fA-F]{32}$", label="Account SID")
    auth_token = forms.CharField(
        widget=forms.PasswordInput,
        required=False,
        help_text="Stored encrypted. Leave empty to keep the current one.",
    )
    messaging_service_sid = forms.RegexField(
        regex=r"^MG[0-9a-fA-F]{32}$", required=False, label="Messaging Service SID"
    )
    from_number = forms.CharField(required=False, max_length=20, label="Sender number")
