"""The API's one error shape: `{"code", "message"}`, plus `"errors"` (field -> messages) when the
input had field errors. Every 4xx under /api/ has it, whether DRF raised it (here) or Django
answered before DRF was reached (`api.middleware.ApiErrorsMiddleware`)."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from practica.patients.errors import InvalidPatient, LikelyDuplicate, PatientError

# The code and message of an error response Django (not DRF) gives, by status.
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be read."),
    401: ("not_authenticated", "Sign in as staff of this practice."),
    403: ("permission_denied", "You may not do this."),
    404: ("not_found", "No such resource."),
    405: ("method_not_allowed", "This method is not allowed here."),
    406: ("not_acceptable", "The API answers in JSON only (Accept: application/json)."),
    409: ("conflict", "The request conflicts with the current state."),
    413: ("too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."),
}


def error_body(status: int, message: str | None = None, code: str | None = None) -> dict[str, Any]:
    default_code, default_message = STATUS_ERRORS.get(status, ("error", "The request was refused."))
    return {"code": code or default_code, "message": message or default_message}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _flatten(value)]
    return [str(detail)]


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail as field -> messages (`locations.0` for a list's item)."""
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for field, value in detail.items():
            if isinstance(value, dict):
                for inner, messages in _field_errors(value).items():
                    errors[f"{field}.{inner}"] = messages
            elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
                for index, item in enumerate(value):
                    for inner, messages in _field_errors(item).items():
                        errors[f"{field}.{index}.{inner}"] = messages
            else:
                errors[str(field)] = _flatten(value)
        return errors
    return {"non_field_errors": _flatten(detail)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, headers), with its body put in the API's error shape; model
    validation errors become a 400 instead of a 500, and what a domain service refused a 400
    with the service's own code (and `field`, and `errors`, when it names one)."""
    if isinstance(exc, LikelyDuplicate):
        candidates = [
            {
                "id": str(candidate.patient.pk),
                "name": str(candidate.patient),
                "date_of_birth": candidate.patient.date_of_birth.isoformat(),
                "reasons": list(candidate.reasons),
            }
            for candidate in exc.candidates
        ]
        return Response({"code": exc.code, "message": exc.message, "candidates": candidates}, status=409)
    if isinstance(exc, PatientError):
        refused: dict[str, Any] = {"code": exc.code, "message": exc.message, "field": exc.field}
        if isinstance(exc, InvalidPatient):
            refused["errors"] = {field: [message] for field, (_, message) in exc.errors.items()}
        elif exc.field:
            refused["errors"] = {exc.field: [exc.message]}
        return Response(refused, status=400)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        first_field, messages = next(iter(errors.items()), ("", ["Invalid input."]))
        where = "" if first_field == "non_field_errors" else f"{first_field}: "
        body: dict[str, Any] = {"code": "invalid", "message": f"{where}{messages[0]}", "errors": errors}
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        body = error_body(response.status_code, " ".join(_flatten(exc.detail)), str(code))
    response.data = body
    return response


class ErrorSerializer(serializers.Serializer[None]):
    """The body of every 4xx response."""

    code = serializers.CharField(help_text="Stable, machine-readable: invalid, not_found, slot_taken, ...")
    message = serializers.CharField(help_text="For people; may change.")
    field = serializers.CharField(
        required=False, allow_null=True, help_text="The field a service's refusal is about, if one."
    )


class FieldErrorSerializer(ErrorSerializer):
    """A 400's body: the first problem in `message`, each field's in `errors`."""

    # (DRF takes declared fields off the class, so Serializer.errors is not shadowed.)
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by field (`non_field_errors` for the input as a whole).",
    )


class DuplicateCandidateSerializer(serializers.Serializer[None]):
    id = serializers.UUIDField()
    name = serializers.CharField(help_text="Last, First.")
    date_of_birth = serializers.DateField()
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="same date of birth and a similar name, same phone, same email",
    )


class LikelyDuplicateSerializer(ErrorSerializer):
    """A 409's body when a new patient may already have a record: send again with
    `not_a_duplicate: true` to create it anyway."""

    candidates = DuplicateCandidateSerializer(many=True)
