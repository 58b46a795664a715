from typing import Any

from django.http import HttpRequest


def practice(request: HttpRequest) -> dict[str, Any]:
    return {
        "practice": getattr(request, "practice", None),
        "role": getattr(request, "role", None),
    }
