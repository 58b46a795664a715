from rest_framework.pagination import LimitOffsetPagination


class PracticaPagination(LimitOffsetPagination):
    """Pages of 50 by default; a client may ask for at most 200 rows at a time, so one call
    cannot pull (and write read-audit events for) a whole practice's patients."""

    default_limit = 50
    max_limit = 200
