from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from practica.patients.duplicates import Candidate


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


class LikelyDuplicate(PatientError):
    """A new patient who may already have a record: `candidates` (practica.patients.duplicates
    .Candidate) say who and why. Nothing was written; the caller shows them and may confirm."""

    def __init__(self, candidates: "list[Candidate]") -> None:
        super().__init__(
            "This patient may already have a record. Check the likely duplicates, or confirm that "
            "this is a different person.",
            "likely_duplicate",
        )
        self.candidates = candidates


class MergeRefused(PatientError):
    """Two records that cannot be merged as they stand; the message says what to change first."""
