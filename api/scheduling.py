"""Scheduling API: appointment types, rooms, slot search, appointments and the waitlist.

Thin on purpose: serializers check the shape of the input, the scheduling services decide. A
SchedulingError becomes a 400 (409 when the time was taken) with its code and message.
"""

import datetime
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ErrorSerializer, FieldErrorSerializer
from api.permissions import HasCapability
from practica.accounts.roles import Capability
from practica.patients.models import Patient
from practica.scheduling.booking import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_status,
)
from practica.scheduling.errors import SchedulingError, SlotUnavailable
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider, Room, WaitlistEntry
from practica.scheduling.slots import open_slots, validate_search_window
from practica.scheduling.waitlist import join_waitlist, leave_waitlist

Status = Appointment.Status


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time that must carry its UTC offset: a bare local time is ambiguous
    across time zones, so it is refused instead of being read as the server's UTC."""

    default_error_messages = {
        "naive": "Give the time with a UTC offset, e.g. 2026-12-01T09:00:00-05:00.",
        "invalid": "Enter a date-time in ISO 8601 format with a UTC offset, e.g. 2026-12-01T09:00:00-05:00.",
    }

    def to_internal_value(self, value: Any) -> datetime.datetime:
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well formed but impossible: month 13, an offset of +25:00
            parsed = None
        if parsed is None:
            self.fail("invalid")
        assert parsed is not None
        if timezone.is_naive(parsed):
            self.fail("naive")
        return parsed.astimezone(datetime.UTC)


# --- serializers -------------------------------------------------------------------------------


class AppointmentTypeSerializer(serializers.ModelSerializer[AppointmentType]):
    class Meta:
        model = AppointmentType
        fields = [
            "id", "name", "duration_minutes", "buffer_before_minutes", "buffer_after_minutes",
            "min_notice_minutes", "max_days_ahead", "bookable_online", "new_patients_allowed",
            "needs_room", "price_cents", "deposit_cents", "colour", "providers", "is_active",
        ]  # fmt: skip
        read_only_fields = ["id"]


class RoomSerializer(serializers.ModelSerializer[Room]):
    class Meta:
        model = Room
        fields = ["id", "location", "name", "is_active"]
        read_only_fields = ["id"]


class SlotQuerySerializer(serializers.Serializer[None]):
    appointment_type = serializers.PrimaryKeyRelatedField(
        queryset=AppointmentType.objects.filter(is_active=True)
    )
    provider = serializers.CharField(help_text='A provider id, or "any" for the least-booked free provider.')
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.filter(is_active=True), required=False
    )
    start = AwareDateTimeField(help_text="Start of the range, with a UTC offset.")
    end = AwareDateTimeField(help_text="End of the range (at most 31 days after the start).")

    def validate_provider(self, value: str) -> Provider | None:
        if value == "any":
            return None
        provider = Provider.objects.filter(pk=value).first() if _is_uuid(value) else None
        if provider is None:
            raise serializers.ValidationError('Give a provider id of this practice, or "any".')
        return provider


class SlotSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField(help_text="UTC")
    end = serializers.DateTimeField(help_text="UTC")
    local_start = serializers.CharField(help_text="ISO 8601 in the location's time zone, with its offset")
    local_end = serializers.CharField(help_text="ISO 8601 in the location's time zone, with its offset")
    time_zone = serializers.CharField()
    provider = serializers.UUIDField()
    location = serializers.UUIDField()
    room = serializers.UUIDField(allow_null=True)


class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    local_start = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "id", "patient", "provider", "location", "room", "appointment_type", "start", "end",
            "local_start", "status", "source", "booked_by_id", "cancellation_reason", "late_cancel",
            "outside_hours_override", "awaiting_deposit", "rescheduled_from", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_local_start(self, appointment: Appointment) -> str:
        return appointment.start.astimezone(ZoneInfo(appointment.location.time_zone)).isoformat()


class BookingRequestSerializer(serializers.Serializer[None]):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    appointment_type = serializers.PrimaryKeyRelatedField(queryset=AppointmentType.objects.all())
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.all())
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.all(), required=False, allow_null=True)
    start = AwareDateTimeField()
    override = serializers.BooleanField(
        default=False, help_text="Book inside the notice or outside working hours; warnings are returned."
    )


class BookingResponseSerializer(serializers.Serializer[Any]):
    appointment = AppointmentSerializer()
    warnings = serializers.ListField(child=serializers.CharField())


class RescheduleRequestSerializer(serializers.Serializer[None]):
    start = AwareDateTimeField()
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.all(), required=False)
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), required=False)
    override = serializers.BooleanField(default=False)


class CancelRequestSerializer(serializers.Serializer[None]):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    patient_asked = serializers.BooleanField(
        default=False, help_text="Record it as cancelled by the patient (e.g. they phoned)."
    )


class StatusRequestSerializer(serializers.Serializer[None]):
    status = serializers.ChoiceField(
        choices=[
            Status.BOOKED,
            Status.CONFIRMED,
            Status.CHECKED_IN,
            Status.IN_ROOM,
            Status.COMPLETED,
            Status.NO_SHOW,
        ]
    )


class WaitlistEntrySerializer(serializers.ModelSerializer[WaitlistEntry]):
    earliest = AwareDateTimeField()
    latest = AwareDateTimeField()

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "patient",
            "appointment_type",
            "provider",
            "earliest",
            "latest",
            "status",
            "created_at",
        ]
        read_only_fields = ["id", "status", "created_at"]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- views -------------------------------------------------------------------------------------


class SchedulingErrors:
    """A rule's refusal as a clear 4xx: 409 when someone else has the time, 400 otherwise."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, SchedulingError):
            code = (
                status.HTTP_409_CONFLICT if isinstance(exc, SlotUnavailable) else status.HTTP_400_BAD_REQUEST
            )
            return Response({"code": exc.code, "message": exc.message}, status=code)
        return super().handle_exception(exc)  # type: ignore[misc]


class AppointmentTypeViewSet(viewsets.ModelViewSet[AppointmentType]):
    queryset = AppointmentType.objects.prefetch_related("providers")
    serializer_class = AppointmentTypeSerializer
    permission_classes = [HasCapability]
    read_capability = Capability.VIEW_SCHEDULE
    write_capability = Capability.MANAGE_SETUP
    http_method_names = ["get", "post", "patch", "head", "options"]


class RoomViewSet(viewsets.ModelViewSet[Room]):
    queryset = Room.objects.select_related("location")
    serializer_class = RoomSerializer
    permission_classes = [HasCapability]
    read_capability = Capability.VIEW_SCHEDULE
    write_capability = Capability.MANAGE_SETUP
    http_method_names = ["get", "post", "patch", "head", "options"]


class SlotViewSet(SchedulingErrors, viewsets.ViewSet):
    """Open slots for an appointment type: with one provider, or "any" provider spread fairly."""

    permission_classes = [HasCapability]
    read_capability = Capability.VIEW_SCHEDULE
    write_capability = Capability.BOOK_APPOINTMENTS

    @extend_schema(
        parameters=[SlotQuerySerializer],
        responses={200: SlotSerializer(many=True), 400: FieldErrorSerializer},
    )
    def list(self, request: Request) -> Response:
        query = SlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        validate_search_window(data["appointment_type"], data["start"], data["end"], timezone.now())
        slots = open_slots(
            data["appointment_type"],
            data["start"],
            data["end"],
            provider=data["provider"],
            location=data.get("location"),
        )
        zones = {
            loc.pk: loc.time_zone for loc in Location.objects.filter(pk__in={s.location_id for s in slots})
        }
        rows = []
        for slot in slots:
            zone = ZoneInfo(zones[slot.location_id])
            rows.append(
                {
                    "start": slot.start,
                    "end": slot.end,
                    "local_start": slot.start.astimezone(zone).isoformat(),
                    "local_end": slot.end.astimezone(zone).isoformat(),
                    "time_zone": zones[slot.location_id],
                    "provider": slot.provider_id,
                    "location": slot.location_id,
                    "room": slot.room_id,
                }
            )
        return Response(SlotSerializer(rows, many=True).data)


_day = OpenApiParameter(
    "date", OpenApiTypes.DATE, description="Appointments starting on this day (practice time zone)"
)
_provider = OpenApiParameter("provider", OpenApiTypes.UUID)
_location = OpenApiParameter("location", OpenApiTypes.UUID)


class AppointmentViewSet(
    SchedulingErrors,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Appointment],
):
    """Appointments of this practice. Writes go through the booking services, with their rules."""

    serializer_class = AppointmentSerializer
    permission_classes = [HasCapability]
    read_capability = Capability.VIEW_SCHEDULE
    write_capability = Capability.BOOK_APPOINTMENTS

    def get_queryset(self) -> QuerySet[Appointment]:
        appointments = Appointment.objects.select_related("location")
        params = self.request.query_params
        for name in ("provider", "location", "patient"):
            value = params.get(name)
            if value is not None:
                if not _is_uuid(value):
                    raise serializers.ValidationError({name: "Give an id."})
                appointments = appointments.filter(**{f"{name}_id": value})
        day = params.get("date")
        if day is not None:
            try:
                date = datetime.date.fromisoformat(day)
            except ValueError:
                raise serializers.ValidationError({"date": "Give a date as YYYY-MM-DD."}) from None
            zone = ZoneInfo(self.request._request.practice.time_zone)  # type: ignore[attr-defined]
            start = datetime.datetime.combine(date, datetime.time(), tzinfo=zone)
            appointments = appointments.filter(start__gte=start, start__lt=start + datetime.timedelta(days=1))
        return appointments.order_by("start")

    @extend_schema(parameters=[_day, _provider, _location, OpenApiParameter("patient", OpenApiTypes.UUID)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _booked(self, booking: Any, code: int = status.HTTP_201_CREATED) -> Response:
        data = {"appointment": booking.appointment, "warnings": booking.warnings}
        return Response(BookingResponseSerializer(data).data, status=code)

    @extend_schema(
        request=BookingRequestSerializer,
        responses={201: BookingResponseSerializer, 400: FieldErrorSerializer, 409: ErrorSerializer},
    )
    def create(self, request: Request) -> Response:
        given = BookingRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        booking = book_appointment(
            **given.validated_data, source=Appointment.Source.API, booked_by_id=request.user.pk
        )
        return self._booked(booking)

    @extend_schema(
        request=RescheduleRequestSerializer,
        responses={201: BookingResponseSerializer, 400: FieldErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        given = RescheduleRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        booking = reschedule_appointment(
            appointment, **given.validated_data, source=Appointment.Source.API, booked_by_id=request.user.pk
        )
        return self._booked(booking)

    @extend_schema(
        request=CancelRequestSerializer, responses={200: AppointmentSerializer, 400: FieldErrorSerializer}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        given = CancelRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        cancelled = cancel_appointment(
            appointment,
            by_patient=False,
            reason=given.validated_data["reason"],
            status=Status.CANCELLED_BY_PATIENT if given.validated_data["patient_asked"] else None,
        )
        return Response(AppointmentSerializer(cancelled).data)

    @extend_schema(
        request=StatusRequestSerializer, responses={200: AppointmentSerializer, 400: FieldErrorSerializer}
    )
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        given = StatusRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        changed = set_status(appointment, given.validated_data["status"])
        return Response(AppointmentSerializer(changed).data)


class WaitlistEntryViewSet(
    SchedulingErrors,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[WaitlistEntry],
):
    """Patients waiting for an earlier time. Deleting an entry takes the patient off the list and
    withdraws the offers already sent; an entry booked or already cancelled is refused (400)."""

    serializer_class = WaitlistEntrySerializer
    permission_classes = [HasCapability]
    read_capability = Capability.VIEW_SCHEDULE
    write_capability = Capability.BOOK_APPOINTMENTS

    def get_queryset(self) -> QuerySet[WaitlistEntry]:
        entries = WaitlistEntry.objects.all()
        if self.action == "list":
            entries = entries.filter(status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED])
        return entries

    def perform_create(self, serializer: serializers.BaseSerializer[WaitlistEntry]) -> None:
        serializer.instance = join_waitlist(**serializer.validated_data)

    def perform_destroy(self, instance: WaitlistEntry) -> None:
        leave_waitlist(instance)
