from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request


class PracticaPagination(LimitOffsetPagination):
    """Pages of 50 by default; a client may ask for at most 200 rows at a time, so one call
    cannot pull (and write read-audit events for) a whole practice's patients.

    A `limit` or `offset` outside what the schema states (1-200, 0 or more) is refused with a
    400 rather than quietly replaced, so the client learns its page is not the one it asked for."""

    default_limit = 50
    max_limit = 200

    def _number(self, request: Request, name: str, default: int, lowest: int, highest: int | None) -> int:
        given = request.query_params.get(name)
        if given is None:
            return default
        try:
            value = int(given)
        except ValueError:
            value = None
        if value is None or value < lowest or (highest is not None and value > highest):
            bounds = f"from {lowest} to {highest}" if highest is not None else f"{lowest} or more"
            raise ValidationError({name: [f"Give a whole number {bounds}."]})
        return value

    def get_limit(self, request: Request) -> int:
        return self._number(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request: Request) -> int:
        return self._number(request, self.offset_query_param, 0, 0, None)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        limit, offset = super().get_schema_operation_parameters(view)
        limit["schema"] = {
            "type": "integer",
            "minimum": 1,
            "maximum": self.max_limit,
            "default": self.default_limit,
        }
        offset["schema"] = {"type": "integer", "minimum": 0, "default": 0}
        return [limit, offset]
