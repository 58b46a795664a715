from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers
from api.errors import LikelyDuplicateSerializer
from api.permissions import HasCapability
from notifications import consent
from practica.accounts.models import Membership
from practica.accounts.roles import Capability
from practica.audit.models import AuditEvent
from practica.audit.services import record_view, record_views
from practica.patients import services
from practica.patients.models import Patient
from practica.patients.selectors import search_patients
from practica.scheduling.models import Location, Provider


class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Patient],
):
    """Patients of this practice. Every read is written to the audit trail."""

    serializer_class = serializers.PatientSerializer
    permission_classes = [HasCapability]
    read_capability = Capability.VIEW_PATIENTS
    write_capability = Capability.EDIT_PATIENTS

    def get_queryset(self) -> QuerySet[Patient]:
        return search_patients(self.request.query_params.get("q", "")[:80])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        shown = page if page is not None else list(queryset)
        record_views(shown)
        data = self.get_serializer(shown, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        record_view(patient)
        return Response(self.get_serializer(patient).data)

    @extend_schema(
        request=serializers.SmsConsentSerializer, responses={200: serializers.SmsConsentSerializer}
    )
    @action(detail=True, methods=["post"], url_path="sms-consent")
    def sms_consent(self, request: Request, pk: str | None = None) -> Response:
        """Allow or stop texts to the patient (as the portal's and the back office's profile pages
        do): 400 `{code, message, field}` without a mobile number, or while the number is opted out
        (it replied STOP and must text START first)."""
        patient = self.get_object()
        body = serializers.SmsConsentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consent.set_sms_consent(patient, body.validated_data["allowed"])
        return Response({"allowed": body.validated_data["allowed"]})

    @extend_schema(
        responses={
            201: serializers.PatientSerializer,
            409: OpenApiResponse(
                LikelyDuplicateSerializer,
                description="The practice may already have this patient: `candidates` says who and "
                "why. Send again with `not_a_duplicate: true` to create the record anyway.",
            ),
        }
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: serializers.PatientSerializer) -> None:  # type: ignore[override]
        data = serializer.validated_data
        serializer.instance = services.create_patient(data, check_duplicates=not data.get("not_a_duplicate"))

    def perform_update(self, serializer: serializers.PatientSerializer) -> None:  # type: ignore[override]
        assert serializer.instance is not None
        services.update_patient(serializer.instance, serializer.validated_data)


class LocationViewSet(viewsets.ModelViewSet[Location]):
    queryset = Location.objects.all()
    serializer_class = serializers.LocationSerializer
    permission_classes = [HasCapability]
    read_capability = Capability.VIEW_SCHEDULE
    write_capability = Capability.MANAGE_SETUP
    http_method_names = ["get", "post", "patch", "head", "options"]


class ProviderViewSet(viewsets.ModelViewSet[Provider]):
    queryset = Provider.objects.prefetch_related("locations")
    serializer_class = serializers.ProviderSerializer
    permission_classes = [HasCapability]
    read_capability = Capability.VIEW_SCHEDULE
    write_capability = Capability.MANAGE_SETUP
    http_method_names = ["get", "post", "patch", "head", "options"]


class StaffViewSet(viewsets.ReadOnlyModelViewSet[Membership]):
    queryset = Membership.objects.none()  # names the model for the schema; get_queryset picks the rows
    serializer_class = serializers.StaffSerializer
    permission_classes = [HasCapability]
    read_capability = Capability.INVITE_STAFF
    write_capability = Capability.MANAGE_STAFF

    def get_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.filter(practice=self.request._request.practice).select_related("user")  # type: ignore[attr-defined]


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet[AuditEvent]):
    queryset = AuditEvent.objects.all()
    serializer_class = serializers.AuditEventSerializer
    permission_classes = [HasCapability]
    read_capability = Capability.VIEW_AUDIT
    write_capability = Capability.VIEW_AUDIT


class MeView(APIView):
    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request: Request) -> Response:
        django_request = request._request
        data = {
            "email": request.user.email,  # type: ignore[union-attr]
            "full_name": request.user.full_name,  # type: ignore[union-attr]
            "role": django_request.role,  # type: ignore[attr-defined]
            "practice": django_request.practice.name,  # type: ignore[attr-defined]
        }
        return Response(serializers.MeSerializer(data).data)  # type: ignore[arg-type]
