from zoneinfo import available_timezones

from rest_framework import serializers

from practica.accounts.models import Membership
from practica.audit.models import AuditEvent
from practica.patients.models import Patient
from practica.scheduling.models import Location, Provider

TIME_ZONES = sorted(available_timezones())


class PatientSerializer(serializers.ModelSerializer[Patient]):
    """Parses and shows a patient; creates and changes go through the patient service (views)."""

    not_a_duplicate = serializers.BooleanField(
        write_only=True,
        default=False,
        help_text="On create: the client checked the likely duplicates a 409 listed and this is "
        "another person; create the record anyway.",
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "email",
            "phone",
            "created_at",
            "not_a_duplicate",
        ]
        read_only_fields = ["id", "created_at"]
        # Parsed here, judged by practica.patients.services: the phone as typed (stored in E.164).
        extra_kwargs = {"phone": {"max_length": 40}}


class SmsConsentSerializer(serializers.Serializer[None]):
    allowed = serializers.BooleanField(help_text="Whether the practice may text the patient.")


class LocationSerializer(serializers.ModelSerializer[Location]):
    address = serializers.CharField(read_only=True, help_text="The address on one line.")
    # A choice, so the schema lists the zones the model's validator accepts.
    time_zone = serializers.ChoiceField(choices=TIME_ZONES, default="America/New_York")

    class Meta:
        model = Location
        fields = [
            "id",
            "name",
            "address",
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
        read_only_fields = ["id"]


class ProviderSerializer(serializers.ModelSerializer[Provider]):
    locations = serializers.PrimaryKeyRelatedField(many=True, queryset=Location.objects.all(), required=False)

    class Meta:
        model = Provider
        fields = [
            "id",
            "display_name",
            "first_name",
            "last_name",
            "credentials",
            "npi",
            "taxonomy",
            "locations",
            "is_active",
        ]
        read_only_fields = ["id"]


class StaffSerializer(serializers.ModelSerializer[Membership]):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "is_active"]
        read_only_fields = fields


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    class Meta:
        model = AuditEvent
        fields = [
            "id", "at", "actor_kind", "actor_name", "actor_email", "actor_role", "action",
            "object_type", "object_id", "object_label", "changed_fields", "ip_address", "request_id",
        ]  # fmt: skip
        read_only_fields = fields


class MeSerializer(serializers.Serializer[None]):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    practice = serializers.CharField()
