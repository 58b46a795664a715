class PatientError(Exception):
    """A change to patient records that the practice's rules refuse; the message is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
