"""The OpenAPI schema states every error an operation can give, in the API's one error shape."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from api.errors import ErrorSerializer, FieldErrorSerializer

BODY_METHODS = ("POST", "PUT", "PATCH")


class PracticaAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {
            400: (
                FieldErrorSerializer,
                "The input is malformed or a rule refused it; `errors` names the fields.",
            ),
            401: (ErrorSerializer, "Not signed in."),
            403: (
                ErrorSerializer,
                "Your role does not allow this, the CSRF token is missing, two-factor set-up is pending, "
                "or the practice is suspended or read-only.",
            ),
            404: (
                ErrorSerializer,
                "No such object here, or no access to this practice (another practice's session, no role).",
            ),
            405: (ErrorSerializer, "A method this path does not offer; `Allow` lists those it does."),
            406: (ErrorSerializer, "The client does not accept JSON."),
        }
        if self.method in BODY_METHODS:
            errors[415] = (ErrorSerializer, "The body is not JSON (send Content-Type: application/json).")
        for status, (serializer, description) in errors.items():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    OpenApiResponse(serializer, description=description), str(status), direction=direction
                )
        return responses


class PracticeSessionScheme(OpenApiAuthenticationExtension):
    """The API is called with the staff session cookie of the practice's host."""

    target_class = "api.authentication.PracticeSessionAuthentication"
    name = "practiceSession"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
