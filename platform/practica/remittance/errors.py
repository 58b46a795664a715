class RemittanceError(Exception):
    """A remittance could not be read or posted. `message` is shown to the person as is (it names
    the file, and the segment and line where it can); `code` is for the API."""

    code = "invalid_remittance"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
