from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.http import HttpRequest

from practica.accounts.models import BillingCompany, User
from practica.accounts.roles import Role


class LoginForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    error_message = "Email or password is incorrect."

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        email, password = data.get("email"), data.get("password")
        if email and password:
            user = authenticate(self.request, email=email.lower(), password=password)
            if user is None:
                raise forms.ValidationError(self.error_message, code="invalid_login")
            self.user = user
        return data


class ResetRequestForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))


class ResetForm(forms.Form):
    """The new password twice; the password rules are the service's to apply."""

    password = forms.CharField(
        label="New password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "The two passwords do not match.")
        return data


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\d{6}$",
        label="6-digit code",
        error_messages={"invalid": "Enter the 6 digits shown in your authenticator app."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class InviteForm(forms.Form):
    email = forms.EmailField()
    # The least privilege by default: the inviter raises it on purpose, never by overlooking it.
    role = forms.ChoiceField(choices=Role.choices, initial=Role.FRONT_DESK)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class JoinForm(forms.Form):
    full_name = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, email: str, *args: Any, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password, User(email=self.email, full_name=self.data.get("full_name", "")))
        return password


class ExistingUserJoinForm(forms.Form):
    """Joining with the Practica login one already has: the password proves it is theirs."""

    password = forms.CharField(
        label="Your Practica password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, request: HttpRequest, email: str, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.email = email
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        # Through authenticate(), so failed attempts count towards the brute-force lockout.
        if authenticate(self.request, email=self.email, password=password) is None:
            raise forms.ValidationError("That is not the password of your Practica login.", code="invalid")
        return password


class BillingCompanyGrantForm(forms.Form):
    company = forms.ModelChoiceField(queryset=BillingCompany.objects.all(), empty_label=None)
    role = forms.ChoiceField(choices=[c for c in Role.choices if c[0] != Role.OWNER], initial=Role.BILLER)


class RevokeAccessForm(forms.Form):
    access_id = forms.IntegerField(min_value=1)


class SecurityForm(forms.Form):
    require_staff_two_factor = forms.BooleanField(
        required=False, label="Require two-factor sign-in for all staff"
    )
