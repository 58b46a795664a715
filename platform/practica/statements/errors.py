class StatementError(Exception):
    """A statement, dunning or payment-plan action refused, with a message for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
