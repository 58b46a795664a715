"""Staff roles and what each may do. Views and API endpoints check capabilities, never role names."""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    FRONT_DESK = "front_desk", "Front desk"
    CLINICIAN = "clinician", "Clinician"
    BILLER = "biller", "Biller"


class Capability(StrEnum):
    VIEW_PATIENTS = "view_patients"
    EDIT_PATIENTS = "edit_patients"
    VIEW_SCHEDULE = "view_schedule"
    BOOK_APPOINTMENTS = "book_appointments"
    MANAGE_SETUP = "manage_setup"  # locations, providers, appointment types
    VIEW_BILLING = "view_billing"
    EDIT_BILLING = "edit_billing"
    INVITE_STAFF = "invite_staff"
    MANAGE_STAFF = "manage_staff"  # change roles, deactivate
    VIEW_AUDIT = "view_audit"
    MANAGE_PRACTICE = "manage_practice"  # security settings, billing-company access, subscription
    CODE_CHARGES = "code_charges"  # diagnoses and charge lines of encounters
    SUBMIT_CLAIMS = "submit_claims"  # make claims ready, send batches, read acknowledgements
    MANAGE_BILLING_SETUP = "manage_billing_setup"  # billing profile, payers, procedures, fee schedules
    POST_REMITTANCE = "post_remittance"  # import 835s, work remittance exceptions, post paper EOBs
    MERGE_PATIENTS = "merge_patients"  # merge a duplicate record into another (owners, managers)
    WRITE_OFF_DENIALS = "write_off_denials"  # give up on a denied amount (owners, managers)
    TAKE_PAYMENTS = "take_payments"  # cash, check and card payments at the desk; not refunds or write-offs


_ALL = frozenset(Capability)

CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: _ALL,
    Role.MANAGER: _ALL - {Capability.MANAGE_STAFF, Capability.MANAGE_PRACTICE},
    Role.FRONT_DESK: frozenset(
        {
            Capability.VIEW_PATIENTS,
            Capability.EDIT_PATIENTS,
            Capability.VIEW_SCHEDULE,
            Capability.BOOK_APPOINTMENTS,
            Capability.TAKE_PAYMENTS,
        }
    ),
    Role.CLINICIAN: frozenset(
        {
            Capability.VIEW_PATIENTS,
            Capability.EDIT_PATIENTS,
            Capability.VIEW_SCHEDULE,
            Capability.BOOK_APPOINTMENTS,
            Capability.CODE_CHARGES,
        }
    ),
    # A billing company's grant carries a role (the biller's by default), so its users can what billers can.
    Role.BILLER: frozenset(
        {
            Capability.VIEW_PATIENTS,
            Capability.VIEW_SCHEDULE,
            Capability.VIEW_BILLING,
            Capability.EDIT_BILLING,
            Capability.CODE_CHARGES,
            Capability.SUBMIT_CLAIMS,
            Capability.TAKE_PAYMENTS,
            Capability.POST_REMITTANCE,
        }
    ),
}


def role_can(role: str | None, capability: Capability) -> bool:
    return role is not None and capability in CAPABILITIES.get(role, frozenset())
