class PatientError(Exception):
    """A change to patient records that the practice's rules refuse; the message is safe to show.
    `code` is stable for API clients; `field` names the input at fault, when one is."""

    def __init__(self, message: str, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class InvalidPatient(PatientError):
    """Details the patient rules refuse, every one of them: `errors` maps a field to (code, message);
    `code`, `message` and `field` are the first, for callers that show one."""

    def __init__(self, errors: dict[str, tuple[str, str]]) -> None:
        field, (code, message) = next(iter(errors.items()))
        super().__init__(message, code, field)
        self.errors = errors
