from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from api import scheduling, views

router = DefaultRouter()
router.register("patients", views.PatientViewSet, basename="patient")
router.register("locations", views.LocationViewSet, basename="location")
router.register("providers", views.ProviderViewSet, basename="provider")
router.register("staff", views.StaffViewSet, basename="staff")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")
router.register("appointment-types", scheduling.AppointmentTypeViewSet, basename="appointment-type")
router.register("rooms", scheduling.RoomViewSet, basename="room")
router.register("slots", scheduling.SlotViewSet, basename="slot")
router.register("appointments", scheduling.AppointmentViewSet, basename="appointment")
router.register("waitlist", scheduling.WaitlistEntryViewSet, basename="waitlist-entry")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/me/", views.MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
]
