"""Who may code charges, submit claims and set up billing, on staff roles and billing-company grants."""

import pytest

from practica.accounts.models import BillingCompanyMember
from practica.accounts.roles import Capability, Role, role_can
from practica.accounts.selectors import role_in_practice
from practica.accounts.services import grant_billing_company
from tenants.models import Practice
from tests.factories import BillingCompanyMemberFactory

EXPECTED = {
    Role.OWNER: {Capability.CODE_CHARGES, Capability.SUBMIT_CLAIMS, Capability.MANAGE_BILLING_SETUP},
    Role.MANAGER: {Capability.CODE_CHARGES, Capability.SUBMIT_CLAIMS, Capability.MANAGE_BILLING_SETUP},
    Role.BILLER: {Capability.CODE_CHARGES, Capability.SUBMIT_CLAIMS},
    Role.CLINICIAN: {Capability.CODE_CHARGES},
    Role.FRONT_DESK: set(),
}
BILLING = (Capability.CODE_CHARGES, Capability.SUBMIT_CLAIMS, Capability.MANAGE_BILLING_SETUP)


@pytest.mark.parametrize("role", list(Role))
def test_billing_capabilities_by_role(role: Role) -> None:
    assert {capability for capability in BILLING if role_can(role, capability)} == EXPECTED[role]


def test_a_billing_company_grant_can_what_a_biller_can(practice_a: Practice) -> None:
    member: BillingCompanyMember = BillingCompanyMemberFactory.create()
    grant_billing_company(practice=practice_a, company=member.company, granted_by=None)
    role = role_in_practice(member.user, practice_a)
    assert role == Role.BILLER
    assert role_can(role, Capability.SUBMIT_CLAIMS)
    assert not role_can(role, Capability.MANAGE_BILLING_SETUP)
