import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from practica.patients.fields import PatientChoiceField
from practica.patients.models import Patient
from practica.patients.selectors import search_patients
from practica.scheduling import weekly_hours
from practica.scheduling.models import (
    AppointmentType,
    ExtraHours,
    Holiday,
    Location,
    Provider,
    Room,
    SchedulingPolicy,
    TimeOff,
    WeeklyHours,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Appointments and waitlist windows this far from today are typing mistakes (and would overflow).
YEARS_EITHER_SIDE = 10


def within_years(value: datetime.date) -> None:
    today = datetime.date.today()
    if abs((value - today).days) > 366 * YEARS_EITHER_SIDE:
        raise forms.ValidationError(f"Enter a date within {YEARS_EITHER_SIDE} years of today.")


TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ErrorsDescribeFields:
    """Ties each field's error list to its input (aria-describedby), as _form.html renders them."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                bound = self[name]  # type: ignore[index]
                ids = [f"{bound.auto_id}_error"] + ([f"{bound.auto_id}_helptext"] if bound.help_text else [])
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)  # type: ignore[attr-defined]


class LocationForm(ErrorsDescribeFields, forms.ModelForm):
    class Meta:
        model = Location
        fields = [
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "place_of_service",
            "npi",
            "phone",
            "time_zone",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place_of_service"].required = False

    def clean_place_of_service(self) -> str:
        # Left empty: an office, the most common place of service.
        return str(
            self.cleaned_data.get("place_of_service") or Location._meta.get_field("place_of_service").default
        )


class ProviderForm(ErrorsDescribeFields, forms.ModelForm):
    class Meta:
        model = Provider
        fields = [
            "display_name",
            "first_name",
            "last_name",
            "credentials",
            "npi",
            "taxonomy",
            "locations",
            "is_active",
        ]
        widgets = {"locations": forms.CheckboxSelectMultiple}


class RoomForm(ErrorsDescribeFields, forms.ModelForm):
    class Meta:
        model = Room
        fields = ["location", "name", "is_active"]

    def clean(self) -> dict[str, Any]:
        # The unique constraint would otherwise only be checked when both fields are on the form.
        data: dict[str, Any] = super().clean() or {}
        location, name = data.get("location"), data.get("name")
        if location and name:
            clash = Room.objects.filter(location=location, name__iexact=name).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", f"{location.name} already has a room called “{name}”.")
        return data


class AppointmentTypeForm(ErrorsDescribeFields, forms.ModelForm):
    price = forms.DecimalField(label="Price ($)", min_value=0, max_digits=9, decimal_places=2, initial=0)
    deposit = forms.DecimalField(label="Deposit ($)", min_value=0, max_digits=9, decimal_places=2, initial=0)

    class Meta:
        model = AppointmentType
        fields = [
            "name",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "min_notice_minutes",
            "max_days_ahead",
            "bookable_online",
            "new_patients_allowed",
            "needs_room",
            "colour",
            "providers",
            "is_active",
        ]
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color"}),
            "providers": forms.CheckboxSelectMultiple,
        }
        labels = {"duration_minutes": "Duration (minutes)", "min_notice_minutes": "Minimum notice (minutes)"}

    field_order = [*Meta.fields[:9], "price", "deposit", *Meta.fields[9:]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["price"].initial = self.instance.price_cents / 100
        self.fields["deposit"].initial = self.instance.deposit_cents / 100

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        price, deposit = data.get("price"), data.get("deposit")
        if price is not None and deposit is not None and deposit > price > 0:
            self.add_error("deposit", "The deposit cannot be more than the price.")
        return data

    def save(self, commit: bool = True) -> AppointmentType:
        self.instance.price_cents = round(self.cleaned_data["price"] * 100)
        self.instance.deposit_cents = round(self.cleaned_data["deposit"] * 100)
        return super().save(commit)


class WeeklyHoursForm(ErrorsDescribeFields, forms.ModelForm):
    class Meta:
        model = WeeklyHours
        fields = [
            "provider",
            "location",
            "kind",
            "weekday",
            "start_time",
            "end_time",
            "effective_from",
            "effective_until",
        ]
        widgets = {"start_time": TIME, "end_time": TIME, "effective_from": DATE, "effective_until": DATE}
        help_texts = {"start_time": "Local time at the location."}

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        for field, message in weekly_hours.hours_problems(
            data.get("provider"),
            data.get("location"),
            data.get("start_time"),
            data.get("end_time"),
            data.get("effective_from"),
            data.get("effective_until"),
        ):
            self.add_error(field, message)
        return data


# The parts of each day on the week form, in the order of the table's columns.
DAY_PARTS = (
    ("start", "Working from"),
    ("end", "Working until"),
    ("break_start", "Break from"),
    ("break_end", "Break until"),
)


class WeekHoursForm(ErrorsDescribeFields, forms.Form):
    """A provider's whole week at one location: working hours and a break for each day."""

    location = forms.ModelChoiceField(queryset=Location.objects.none())
    effective_from = forms.DateField(
        widget=DATE,
        label="From",
        validators=[within_years],
        help_text="This week replaces the hours from this day on.",
    )

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.fields["location"].queryset = provider.locations.filter(is_active=True)  # type: ignore[attr-defined]
        for weekday, day in enumerate(weekly_hours.WEEKDAYS):
            for part, label in DAY_PARTS:
                self.fields[f"day{weekday}_{part}"] = forms.TimeField(
                    required=False, widget=TIME, label=f"{day}: {label.lower()}"
                )

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """One table row per day: its name and its four time fields."""
        return [
            (day, [self[f"day{weekday}_{part}"] for part, _ in DAY_PARTS])
            for weekday, day in enumerate(weekly_hours.WEEKDAYS)
        ]

    def days(self) -> list[weekly_hours.DayHours]:
        data = self.cleaned_data
        return [
            weekly_hours.DayHours(weekday, *(data.get(f"day{weekday}_{part}") for part, _ in DAY_PARTS))
            for weekday in range(7)
        ]

    @staticmethod
    def initial_for(days: list[weekly_hours.DayHours]) -> dict[str, Any]:
        return {f"day{day.weekday}_{part}": getattr(day, part) for day in days for part, _ in DAY_PARTS}

    @staticmethod
    def copy_monday(data: Any, weekdays: range) -> Any:
        """The submitted values with Monday's hours copied to `weekdays` (nothing saved)."""
        copied = data.copy()
        for weekday in weekdays:
            for part, _ in DAY_PARTS:
                copied[f"day{weekday}_{part}"] = data.get(f"day0_{part}", "")
        return copied


class LocalPeriodForm(ErrorsDescribeFields, forms.ModelForm):
    """Start and end entered as a local date and time, stored in UTC."""

    start_date = forms.DateField(widget=DATE, validators=[within_years])
    start_time = forms.TimeField(widget=TIME)
    end_date = forms.DateField(widget=DATE, validators=[within_years])
    end_time = forms.TimeField(widget=TIME)

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(time_zone)
        if self.instance.pk:
            for part in ("start", "end"):
                local = getattr(self.instance, part).astimezone(self.local_zone(self.instance))
                self.fields[f"{part}_date"].initial = local.date()
                self.fields[f"{part}_time"].initial = local.time()

    def local_zone(self, instance: Any) -> ZoneInfo:
        return self.zone

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        parts = [data.get(name) for name in ("start_date", "start_time", "end_date", "end_time")]
        if all(part is not None for part in parts):
            zone = self.zone_for(data)
            start = datetime.datetime.combine(parts[0], parts[1], tzinfo=zone)  # type: ignore[arg-type]
            end = datetime.datetime.combine(parts[2], parts[3], tzinfo=zone)  # type: ignore[arg-type]
            if end <= start:
                self.add_error("end_time", "The end must be after the start.")
            else:
                self.instance.start, self.instance.end = start, end
        return data

    def zone_for(self, data: dict[str, Any]) -> ZoneInfo:
        return self.zone


class TimeOffForm(LocalPeriodForm):
    class Meta:
        model = TimeOff
        fields = ["provider", "reason"]


class ExtraHoursForm(LocalPeriodForm):
    class Meta:
        model = ExtraHours
        fields = ["provider", "location"]

    def local_zone(self, instance: Any) -> ZoneInfo:
        return ZoneInfo(instance.location.time_zone)

    def zone_for(self, data: dict[str, Any]) -> ZoneInfo:
        location = data.get("location")
        return ZoneInfo(location.time_zone) if location else self.zone

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        provider, location = data.get("provider"), data.get("location")
        if provider and location and not provider.locations.filter(pk=location.pk).exists():
            self.add_error("location", f"{provider.display_name} does not work at {location.name}.")
        return data


class HolidayForm(ErrorsDescribeFields, forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name"]
        widgets = {"date": DATE}


class SchedulingPolicyForm(ErrorsDescribeFields, forms.ModelForm):
    late_cancel_fee = forms.DecimalField(
        label="Late cancellation fee ($)", min_value=0, max_digits=9, decimal_places=2, initial=0
    )

    class Meta:
        model = SchedulingPolicy
        fields = [
            "cancel_cutoff_hours",
            "late_cancel",
            "slot_step_minutes",
            "waitlist_offer_count",
            "waitlist_offer_minutes",
        ]
        widgets = {"late_cancel": forms.RadioSelect}
        labels = {
            "cancel_cutoff_hours": "Online cancel/reschedule cutoff (hours before)",
            "late_cancel": "Inside the cutoff",
            "waitlist_offer_count": "Waiting patients offered each freed slot",
            "waitlist_offer_minutes": "Minutes a waitlist offer stays open",
        }

    field_order = ["cancel_cutoff_hours", "late_cancel", "late_cancel_fee"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["late_cancel_fee"].initial = self.instance.late_cancel_fee_cents / 100

    def save(self, commit: bool = True) -> SchedulingPolicy:
        self.instance.late_cancel_fee_cents = round(self.cleaned_data["late_cancel_fee"] * 100)
        return super().save(commit)


class BookingForm(ErrorsDescribeFields, forms.Form):
    """Staff booking: the start is a local date and time at the chosen location."""

    patient = PatientChoiceField(queryset=Patient.objects.none())
    appointment_type = forms.ModelChoiceField(queryset=AppointmentType.objects.filter(is_active=True))
    provider = forms.ModelChoiceField(queryset=Provider.objects.filter(is_active=True))
    location = forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True))
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(is_active=True).select_related("location"),
        required=False,
        help_text="Leave empty to pick any free room when the type needs one.",
    )
    date = forms.DateField(widget=DATE, validators=[within_years])
    time = forms.TimeField(widget=TIME, help_text="Local time at the location.")
    override = forms.BooleanField(
        required=False,
        label="Book anyway, outside the minimum notice or working hours",
        help_text="Only tick this after reading the warning above.",
    )

    def __init__(self, *args: Any, patient_query: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_override_after_warning(self)
        # Validation accepts any patient of the practice; the list shows only search results.
        patients = self.fields["patient"]
        if self.is_bound:
            patients.queryset = Patient.objects.all()  # type: ignore[attr-defined]
        else:
            found = search_patients(patient_query)
            initial = self.initial.get("patient")
            if initial:
                found = found | Patient.objects.filter(pk=getattr(initial, "pk", initial))
            patients.queryset = found.distinct()[:50]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        location, date, time = data.get("location"), data.get("date"), data.get("time")
        if location and date and time:
            data["start"] = datetime.datetime.combine(date, time, tzinfo=ZoneInfo(location.time_zone))
        room = data.get("room")
        if room and location and room.location_id != location.pk:
            self.add_error("room", f"{room.name} is not at {location.name}.")
        return data


def _offer_override_after_warning(form: forms.Form) -> None:
    # The override box appears once a first attempt has been refused with a warning, not before.
    if not form.is_bound:
        form.fields.pop("override")


class RescheduleForm(ErrorsDescribeFields, forms.Form):
    provider = forms.ModelChoiceField(queryset=Provider.objects.filter(is_active=True))
    location = forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True))
    date = forms.DateField(widget=DATE, validators=[within_years])
    time = forms.TimeField(widget=TIME, help_text="Local time at the location.")
    override = forms.BooleanField(
        required=False,
        label="Move anyway, outside the minimum notice or working hours",
        help_text="Only tick this after reading the warning above.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_override_after_warning(self)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        location, date, time = data.get("location"), data.get("date"), data.get("time")
        if location and date and time:
            data["start"] = datetime.datetime.combine(date, time, tzinfo=ZoneInfo(location.time_zone))
        return data


class CancelForm(ErrorsDescribeFields, forms.Form):
    reason = forms.CharField(max_length=200, label="Reason for cancelling")
    by_patient = forms.BooleanField(required=False, label="The patient asked to cancel")


class WaitlistForm(ErrorsDescribeFields, forms.Form):
    patient = PatientChoiceField(queryset=Patient.objects.all())
    appointment_type = forms.ModelChoiceField(queryset=AppointmentType.objects.filter(is_active=True))
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.filter(is_active=True), required=False, empty_label="Any provider"
    )
    earliest = forms.DateField(widget=DATE, label="From", validators=[within_years])
    latest = forms.DateField(widget=DATE, label="Until (last day)", validators=[within_years])

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        first, last = data.get("earliest"), data.get("latest")
        if first and last and last < first:
            self.add_error("latest", "The last day cannot be before the first day.")
        return data
