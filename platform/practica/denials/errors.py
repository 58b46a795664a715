class DenialError(Exception):
    """A denials rule said no; `message` is shown to the person as is."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
