"""Errors of eligibility checks, fit to show a person."""


class EligibilityError(Exception):
    code = "eligibility_error"

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        if code:
            self.code = code
