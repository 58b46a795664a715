class AccessError(Exception):
    """A staff-management action that the rules forbid; the message is shown to the user."""
