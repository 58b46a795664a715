from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password

from practica.accounts.models import User
from tenants.models import Domain, Plan, Practice
from tenants.slugs import normalise_slug, validate_slug


class SignupForm(forms.Form):
    practice_name = forms.CharField(max_length=120, label="Practice name")
    subdomain = forms.CharField(
        max_length=40,
        help_text=f"Your practice's address: <subdomain>.{settings.BASE_DOMAIN}",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    owner_name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(label="Your email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    plan = forms.ModelChoiceField(queryset=Plan.objects.filter(is_public=True), empty_label=None)

    def clean_subdomain(self) -> str:
        slug = normalise_slug(self.cleaned_data["subdomain"])
        validate_slug(slug)
        if (
            Practice.objects.filter(slug=slug).exists()
            or Domain.objects.filter(domain=f"{slug}.{settings.BASE_DOMAIN}").exists()
        ):
            raise forms.ValidationError("This subdomain is taken. Please choose another.", code="taken")
        return slug

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Sign in to add a practice.",
                code="duplicate",
            )
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            candidate = User(email=data.get("email", ""), full_name=data.get("owner_name", ""))
            try:
                validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data
