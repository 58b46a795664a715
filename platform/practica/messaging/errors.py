class MessagingError(Exception):
    """A messaging action that cannot be done; the message is fit to show to the person acting."""


class NotAllowed(MessagingError):
    """The person's role does not allow this action."""
