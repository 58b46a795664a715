import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal import selectors
from practica.scheduling.models import AppointmentType, Location, Provider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PortalForm(forms.Form):
    """Errors are tied to their fields for assistive technology: aria-invalid plus aria-describedby
    pointing at the error list (ids as rendered by _form.html)."""

    def full_clean(self) -> None:
        super().full_clean()
        self._describe_errors()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self._describe_errors()  # errors a service raised after validation are tied as well

    def _describe_errors(self) -> None:
        for name in getattr(self, "_errors", None) or {}:
            if name not in self.fields:
                continue
            field_id = self[name].auto_id
            described = [f"{field_id}_error"]
            if self.fields[name].help_text:
                described.append(f"{field_id}_helptext")
            self.fields[name].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": " ".join(described)}
            )


def date_field(label: "StrOrPromise", **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def password_field(label: "StrOrPromise | None" = None, *, new: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label or _("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password" if new else "current-password"}),
        help_text=_("At least 10 characters, not a common password.") if new else "",
    )


class NewPasswordMixin(PortalForm):
    password = password_field()
    password_again = password_field(_("Password again"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords differ."))
        return data


class RegisterForm(NewPasswordMixin):
    first_name = forms.CharField(
        label=_("First name"), max_length=80, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=80, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    date_of_birth = date_field(_("Date of birth"))
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    field_order = ["first_name", "last_name", "date_of_birth", "email", "password", "password_again"]
    # The birth date's rules are create_patient's (practica.patients.services), shown by add_errors.


class InviteAcceptForm(NewPasswordMixin):
    date_of_birth = date_field(_("Date of birth"), help_text=_("To confirm it is you."))
    field_order = ["date_of_birth", "password", "password_again"]


class LoginForm(PortalForm):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = password_field(new=False)


class ResetRequestForm(PortalForm):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ResetForm(NewPasswordMixin):
    pass


class ChooseForm(PortalForm):
    """Step 1 of booking: what, where and with whom."""

    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.none(), label=_("Type of visit"), empty_label=None
    )
    location = forms.ModelChoiceField(queryset=Location.objects.none(), label=_("Location"), empty_label=None)
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(),
        required=False,
        empty_label=_("Any provider"),
        label=_("Provider"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].queryset = selectors.bookable_types()  # type: ignore[attr-defined]
        self.fields["location"].queryset = selectors.active_locations()  # type: ignore[attr-defined]
        self.fields["provider"].queryset = Provider.objects.filter(is_active=True)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, location, provider = data.get("appointment_type"), data.get("location"), data.get("provider")
        if kind and location and provider and provider not in selectors.providers_offering(kind, location):
            self.add_error(
                "provider",
                _("%(provider)s does not offer this visit at %(location)s.")
                % {"provider": provider.display_name, "location": location.name},
            )
        return data


class WaitlistForm(ChooseForm):
    earliest = date_field(_("From"))
    latest = date_field(_("Until"), help_text=_("The last day that would suit you."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["location"]  # an offer may come from any location

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, provider = data.get("appointment_type"), data.get("provider")
        if kind and provider and provider not in selectors.providers_offering(kind, None):
            self.add_error(
                "provider", _("%(provider)s does not offer this visit.") % {"provider": provider.display_name}
            )
        if data.get("earliest") and data.get("latest") and data["latest"] < data["earliest"]:
            self.add_error("latest", _("Pick a day on or after the first day."))
        if data.get("latest") and data["latest"] < datetime.date.today():
            self.add_error("latest", _("That day is already past."))
        return data


class CancelForm(PortalForm):
    reason = forms.CharField(max_length=200, required=False, label=_("Reason (optional)"))


class SignInCodeForm(PortalForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6 digits your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class AppCodeForm(PortalForm):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label=_("6-digit code from your app"),
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TwoFactorOffForm(PortalForm):
    password_or_code = forms.CharField(
        label=_("Your password, or a code"),
        strip=False,
        help_text=_("Your portal password, a code from your app, or a recovery code."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PhoneCodeForm(PortalForm):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label=_("Code from the text message"),
        error_messages={"invalid": _("Enter the 6 digits of the text message.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
