class BillingError(Exception):
    """A request the practice's billing rules refuse; `message` is shown to the person as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
