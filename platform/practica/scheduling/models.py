import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from practica.scheduling.validators import (
    validate_npi,
    validate_place_of_service,
    validate_state,
    validate_taxonomy,
    validate_zip,
)
from tenants.models import validate_time_zone


class Location(models.Model):
    """A place where the practice sees patients: its street address, its place-of-service code
    (the 837P's default for visits there) and its own NPI when it has one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    address_line1 = models.CharField("Address", max_length=55, blank=True)
    address_line2 = models.CharField("Address line 2", max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True, validators=[validate_state])
    postal_code = models.CharField("ZIP code", max_length=9, blank=True, validators=[validate_zip])
    place_of_service = models.CharField(
        "Place of service", max_length=2, default="11", validators=[validate_place_of_service]
    )
    npi = models.CharField("NPI", max_length=10, blank=True, validators=[validate_npi])
    phone = models.CharField(max_length=20, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        """The address on one line, as pages and calendar invitations show it."""
        city_line = " ".join(part for part in (self.state, self.postal_code[:5]) if part)
        city_line = ", ".join(part for part in (self.city, city_line) if part)
        return ", ".join(part for part in (self.address_line1, self.address_line2, city_line) if part)


class Room(models.Model):
    """A room or other bookable resource at a location."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="room_name_unique_per_location")
        ]

    def __str__(self) -> str:
        return f"{self.location.name} · {self.name}"


class Provider(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    display_name = models.CharField(max_length=120)
    # As the provider's name goes on claims (NM103/NM104 of the rendering and referring loops).
    first_name = models.CharField(max_length=35, blank=True)
    last_name = models.CharField(max_length=60, blank=True)
    npi = models.CharField("NPI", max_length=10, validators=[validate_npi])
    credentials = models.CharField(max_length=40, blank=True, help_text="e.g. MD, DO, NP, PA-C")
    taxonomy = models.CharField(
        max_length=10, blank=True, validators=[validate_taxonomy], help_text="e.g. 207Q00000X"
    )
    locations = models.ManyToManyField(Location, related_name="providers", blank=True)
    is_active = models.BooleanField(default=True)
    # Secret for the provider's private busy-times iCalendar feed; rotating it revokes the old URL.
    feed_token = models.CharField(max_length=43, blank=True, db_index=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [models.UniqueConstraint(fields=["npi"], name="one_provider_per_npi")]

    def __str__(self) -> str:
        return f"{self.display_name}, {self.credentials}" if self.credentials else self.display_name


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f77b4.")


class AppointmentType(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=80)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(120)])
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(120)])
    min_notice_minutes = models.PositiveIntegerField(default=120)
    max_days_ahead = models.PositiveSmallIntegerField(default=90, validators=[MinValueValidator(1)])
    bookable_online = models.BooleanField(default=True)
    new_patients_allowed = models.BooleanField(default=True)
    needs_room = models.BooleanField(default=False)
    price_cents = models.PositiveIntegerField(default=0)
    deposit_cents = models.PositiveIntegerField(default=0)
    colour = models.CharField(max_length=7, default="#0b6e69", validators=[hex_colour])
    providers = models.ManyToManyField(
        Provider, related_name="appointment_types", blank=True, help_text="Leave empty: every provider."
    )
    # The procedures a visit of this type usually carries: its charge lines start from them.
    default_procedures = models.ManyToManyField(
        "claims.ProcedureCode",
        through="claims.AppointmentTypeProcedure",
        related_name="appointment_types",
        blank=True,
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WeeklyHours(models.Model):
    """A recurring weekly block in the location's local time: working hours or a break."""

    class Kind(models.TextChoices):
        WORK = "work", "Working hours"
        BREAK = "break", "Break"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="weekly_hours")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="weekly_hours")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.WORK)
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ]
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True, help_text="Last day; empty: no end.")

    class Meta:
        ordering = ["provider", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="weekly_hours_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_until__gte=models.F("effective_from")),
                name="weekly_hours_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class TimeOff(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="time_off_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.provider} off {self.start:%Y-%m-%d %H:%M}"


class ExtraHours(models.Model):
    """One-off hours outside the weekly pattern."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="extra_hours")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="extra_hours")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="extra_hours_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.provider} extra {self.start:%Y-%m-%d %H:%M}"


class Holiday(models.Model):
    """The whole practice is closed on this local date, at every location."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date})"


class SchedulingPolicy(models.Model):
    """The practice's rules for online changes. One row per practice schema."""

    class LateCancel(models.TextChoices):
        REFUSE = "refuse", "Refuse online changes inside the cutoff"
        FLAG = "flag", "Allow, and flag as a late cancellation"

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    cancel_cutoff_hours = models.PositiveSmallIntegerField(default=24)
    late_cancel = models.CharField(max_length=6, choices=LateCancel.choices, default=LateCancel.REFUSE)
    late_cancel_fee_cents = models.PositiveIntegerField(default=0)
    slot_step_minutes = models.PositiveSmallIntegerField(default=15, validators=[MinValueValidator(5)])
    waitlist_offer_count = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1)])
    waitlist_offer_minutes = models.PositiveSmallIntegerField(default=60, validators=[MinValueValidator(5)])

    class Meta:
        verbose_name_plural = "scheduling policy"

    def __str__(self) -> str:
        return "Scheduling policy"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CONFIRMED = "confirmed", _("Confirmed")
        CHECKED_IN = "checked_in", _("Checked in")
        IN_ROOM = "in_room", _("In room")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED_BY_PATIENT = "cancelled_patient", _("Cancelled by patient")
        CANCELLED_BY_PRACTICE = "cancelled_practice", _("Cancelled by practice")
        RESCHEDULED = "rescheduled", _("Rescheduled")

    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        PORTAL = "portal", "Patient portal"
        API = "api", "API"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The time the appointment keeps its provider and room busy: start/end widened by the type's buffers.
    occupancy = DateTimeRangeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.STAFF)
    booked_by_id = models.BigIntegerField(
        null=True, blank=True, help_text="Staff user id, when staff booked."
    )
    cancellation_reason = models.CharField(max_length=200, blank=True)
    late_cancel = models.BooleanField(default=False)
    outside_hours_override = models.BooleanField(default=False)
    # Booked online for a type that asks for a deposit: the slot is held while the patient pays
    # (practica.patient_billing.deposits); nothing is sent to the patient until it is paid.
    awaiting_deposit = models.BooleanField(default=False)
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rescheduled_to"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACTIVE_STATUSES = (Status.BOOKED, Status.CONFIRMED, Status.CHECKED_IN, Status.IN_ROOM, Status.COMPLETED)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["provider", "start"], name="appointment_provider_start"),
            models.Index(fields=["patient", "start"], name="appointment_patient_start"),
            models.Index(fields=["location", "start"], name="appointment_location_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="appointment_end_after_start"
            ),
            # No double booking, enforced by PostgreSQL whatever the code path.
            ExclusionConstraint(
                name="no_overlapping_provider_appointments",
                expressions=[("provider", RangeOperators.EQUAL), ("occupancy", RangeOperators.OVERLAPS)],
                condition=Q(status__in=["booked", "confirmed", "checked_in", "in_room", "completed"]),
            ),
            ExclusionConstraint(
                name="no_overlapping_room_appointments",
                expressions=[("room", RangeOperators.EQUAL), ("occupancy", RangeOperators.OVERLAPS)],
                condition=Q(
                    room__isnull=False,
                    status__in=["booked", "confirmed", "checked_in", "in_room", "completed"],
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type.name} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a slot"
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="waitlist_entries")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: any provider."
    )
    earliest = models.DateTimeField()
    latest = models.DateTimeField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latest__gt=models.F("earliest")), name="waitlist_window_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} waiting for {self.appointment_type}"


class WaitlistOffer(models.Model):
    """A freed slot offered to a waiting patient; the first claim wins."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed"
        GONE = "gone", "Taken by someone else"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn: the patient left the waitlist"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Offer {self.start:%Y-%m-%d %H:%M} to {self.entry.patient}"
