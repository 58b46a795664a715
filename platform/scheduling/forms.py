from django import forms

from scheduling.models import Location, Provider


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "address", "phone", "time_zone"]


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = ["display_name", "credentials", "npi", "locations"]
        widgets = {"locations": forms.CheckboxSelectMultiple}
