class IntakeError(Exception):
    """A request about intake that the practice's rules refuse; the message is safe to show."""


class UploadRejected(IntakeError):
    """An uploaded file that is too large, of a type we do not take, or flagged by the virus scan."""
