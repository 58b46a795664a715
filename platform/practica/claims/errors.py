class ClaimsError(Exception):
    """A billing rule said no. `message` is shown to the person as is; `code` is for the API."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidClaimTransition(ClaimsError):
    code = "invalid_claim_status_change"


class ClaimBlocked(ClaimsError):
    """The claim has scrub errors (or was never scrubbed), so it cannot be made ready."""

    code = "claim_has_errors"


class CodingError(ClaimsError):
    code = "invalid_coding"
