from django.utils.translation import gettext as _


class SchedulingError(Exception):
    """A scheduling rule said no. `message` is shown to the person as is; `code` is for the API."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class SlotUnavailable(SchedulingError):
    code = "slot_unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("This slot is no longer available. Please choose another time."))


class InvalidTransition(SchedulingError):
    code = "invalid_status_change"
