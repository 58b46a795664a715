"""Phone numbers as E.164, the only form stored or compared (the rule lives in practica.patients.phones)."""

from practica.patients.phones import DEFAULT_REGION, to_e164

__all__ = ["DEFAULT_REGION", "to_e164"]
