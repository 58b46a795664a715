from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request


class PracticeSessionAuthentication(SessionAuthentication):
    """The staff session of this practice's host (CSRF enforced on writes, as DRF does).

    Naming a scheme makes DRF answer a request that is not signed in with 401, not 403: a
    client can tell "sign in" from "your role does not allow this"."""

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="practice"'
