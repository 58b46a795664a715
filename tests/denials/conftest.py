"""The claims tests' insured patient and coded visits, shared."""

from tests.claims.conftest import billing

__all__ = ["billing"]
