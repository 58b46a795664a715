"""Billing companies: a practice owner grants and revokes access; the company's people see their
client practices (built for 200 of them) and switch between them without signing in again."""

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from practica.accounts.models import BillingCompany, BillingCompanyAccess, BillingCompanyMember
from practica.accounts.roles import Role
from practica.accounts.services import grant_billing_company
from tenants.models import Practice
from tests.conftest import PUBLIC_HOST, host_of, signed_in_client, staff
from tests.factories import PASSWORD, BillingCompanyMemberFactory


@pytest.fixture
def member(db: None) -> BillingCompanyMember:
    return BillingCompanyMemberFactory.create(company__name="Summit Billing")


def add_clients(company: BillingCompany, count: int, start: int = 0) -> None:
    """Client practices as bare tenant rows (no schemas): the list and the switch never open them."""
    practices = Practice.objects.bulk_create(
        Practice(name=f"Client {n:03d} Clinic", slug=f"client-{n:03d}", schema_name=f"p_client_{n:03d}")
        for n in range(start, start + count)
    )
    BillingCompanyAccess.objects.bulk_create(
        BillingCompanyAccess(company=company, practice=practice, role=Role.BILLER) for practice in practices
    )


def test_owner_grants_a_billing_company_with_a_role_and_revokes_it(
    practice_a: Practice, member: BillingCompanyMember
) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    response = owner.post(
        "/settings/security/", {"action": "grant", "company": member.company_id, "role": Role.BILLER}
    )
    assert response.status_code == 302
    access = BillingCompanyAccess.objects.get(company=member.company, practice=practice_a, revoked_at=None)
    assert access.role == Role.BILLER
    assert b"Summit Billing" in owner.get("/settings/security/").content

    company_client = signed_in_client(member.user, practice_a)
    assert company_client.get("/patients/").status_code == 200
    assert company_client.get("/patients/new/").status_code == 403  # a biller's rights

    owner.post("/settings/security/", {"action": "revoke", "access_id": access.pk})
    access.refresh_from_db()
    assert access.revoked_at is not None
    assert company_client.get("/patients/").status_code == 404  # same session, next request
    assert b"No billing company has access" in owner.get("/settings/security/").content


def test_a_billing_company_cannot_be_made_owner(practice_a: Practice, member: BillingCompanyMember) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    response = owner.post(
        "/settings/security/", {"action": "grant", "company": member.company_id, "role": Role.OWNER}
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not BillingCompanyAccess.objects.filter(company=member.company).exists()


def test_regranting_changes_the_role_of_the_live_grant(
    practice_a: Practice, member: BillingCompanyMember
) -> None:
    grant_billing_company(practice=practice_a, company=member.company, role=Role.BILLER, granted_by=None)
    grant_billing_company(practice=practice_a, company=member.company, role=Role.MANAGER, granted_by=None)
    assert list(
        BillingCompanyAccess.objects.filter(company=member.company).values_list("role", flat=True)
    ) == [Role.MANAGER]


def test_company_user_signs_in_on_the_public_site_and_sees_the_client_list(
    practice_a: Practice, practice_b: Practice, member: BillingCompanyMember
) -> None:
    grant_billing_company(practice=practice_a, company=member.company, granted_by=None)
    grant_billing_company(practice=practice_b, company=member.company, granted_by=None)
    browser = Client(HTTP_HOST=PUBLIC_HOST)
    signed_in = browser.post("/login/", {"email": member.user.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/practices/"
    page = browser.get("/practices/").content.decode()
    assert "Summit Billing: client practices" in page
    assert "Alpha Clinic" in page and "Beta Health" in page
    assert "2 client practices" in page


def test_the_client_list_is_paginated_and_searchable(member: BillingCompanyMember) -> None:
    add_clients(member.company, 60)
    browser = signed_in_client(member.user, None)
    first = browser.get("/practices/")
    assert first.context["page"].paginator.count == 60
    assert len(first.context["page"].object_list) == 25
    assert b"Page 1 of 3" in first.content
    last = browser.get("/practices/?page=3")
    assert [p.slug for p in last.context["page"]][-1] == "client-059"
    found = browser.get("/practices/?q=client-04")
    assert [p.slug for p in found.context["page"]] == [f"client-04{n}" for n in range(10)]
    assert b"No client practices match" in browser.get("/practices/?q=nowhere").content


def test_revoked_and_other_companies_clients_are_not_listed(member: BillingCompanyMember) -> None:
    add_clients(member.company, 3)
    other = BillingCompanyMemberFactory.create()
    add_clients(other.company, 2, start=100)
    BillingCompanyAccess.objects.filter(practice__slug="client-001").update(revoked_at="2026-01-01T00:00Z")
    page = signed_in_client(member.user, None).get("/practices/")
    assert [p.slug for p in page.context["page"]] == ["client-000", "client-002"]


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code in (200, 302)
    # django-tenants sets the search_path before each query; count the queries that do work.
    return len([q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")])


def test_client_list_and_switch_cost_the_same_for_10_or_200_clients(
    member: BillingCompanyMember,
) -> None:
    browser = signed_in_client(member.user, None)
    add_clients(member.company, 10)
    small = {
        path: queries_for(browser, path)
        for path in ("/practices/", "/practices/?q=client", "/go/client-005/")
    }
    add_clients(member.company, 190, start=10)
    large = {
        path: queries_for(browser, path)
        for path in ("/practices/", "/practices/?q=client", "/go/client-150/")
    }
    assert list(small.values()) == list(large.values())
    # Pinned: host, session, user, company membership (with its company), count, one page of
    # practices, and the session save (savepoint, update, release).
    assert small["/practices/"] == 9
    assert small["/practices/?q=client"] == 9
    # host, session, user, the one practice, session save.
    assert small["/go/client-005/"] == 7


def test_switching_practice_needs_no_second_sign_in(
    practice_a: Practice, practice_b: Practice, member: BillingCompanyMember
) -> None:
    grant_billing_company(practice=practice_a, company=member.company, granted_by=None)
    grant_billing_company(practice=practice_b, company=member.company, granted_by=None)
    public = signed_in_client(member.user, None)
    to_a = urlsplit(public.get(f"/go/{practice_a.slug}/")["Location"])
    assert to_a.hostname == host_of(practice_a)
    at_a = Client(HTTP_HOST=host_of(practice_a))
    assert at_a.get(f"{to_a.path}?{to_a.query}")["Location"] == "/"
    assert b"Alpha Clinic" in at_a.get("/").content

    # From inside A, the switch page lists B; the hand-off to it starts on the public site.
    switch = at_a.get("/switch/")
    assert b"Beta Health" in switch.content and b"Alpha Clinic</a></li>" not in switch.content
    via_public = urlsplit(at_a.get(f"/go/{practice_b.slug}/")["Location"])
    assert (via_public.hostname, via_public.path) == (PUBLIC_HOST, f"/go/{practice_b.slug}/")
    to_b = urlsplit(public.get(via_public.path)["Location"])
    assert to_b.hostname == host_of(practice_b)
    at_b = Client(HTTP_HOST=host_of(practice_b))
    assert at_b.get(f"{to_b.path}?{to_b.query}")["Location"] == "/"
    assert at_b.get("/patients/").status_code == 200


def test_switch_page_inside_a_practice_is_paginated_and_searchable(
    practice_a: Practice, member: BillingCompanyMember
) -> None:
    grant_billing_company(practice=practice_a, company=member.company, granted_by=None)
    add_clients(member.company, 40)
    client = signed_in_client(member.user, practice_a)
    page = client.get("/switch/")
    assert page.context["page"].paginator.count == 40
    assert len(page.context["page"].object_list) == 25
    assert [p.slug for p in client.get("/switch/?q=client-03").context["page"]] == [
        f"client-03{n}" for n in range(10)
    ]
    with CaptureQueriesContext(connection) as small:
        client.get("/switch/")
    add_clients(member.company, 160, start=40)
    with CaptureQueriesContext(connection) as large:
        client.get("/switch/")
    assert len(small.captured_queries) == len(large.captured_queries)


def test_no_switching_into_a_practice_without_access(
    practice_b: Practice, member: BillingCompanyMember
) -> None:
    public = signed_in_client(member.user, None)
    assert public.get(f"/go/{practice_b.slug}/").status_code == 404
    assert public.get("/go/no-such-practice/").status_code == 404


@pytest.mark.parametrize("access_id", ["abc", "", "-1", "99999999"])
def test_revoking_with_a_bad_grant_id_is_a_404_not_an_error(practice_a: Practice, access_id: str) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    assert owner.post("/settings/security/", {"action": "revoke", "access_id": access_id}).status_code == 404


def test_revoking_another_practices_grant_is_a_404(
    practice_a: Practice, practice_b: Practice, member: BillingCompanyMember
) -> None:
    grant = grant_billing_company(practice=practice_b, company=member.company, granted_by=None)
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    assert owner.post("/settings/security/", {"action": "revoke", "access_id": grant.pk}).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_granting_an_unknown_company_is_a_form_error(practice_a: Practice) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    response = owner.post("/settings/security/", {"action": "grant", "company": "abc", "role": Role.BILLER})
    assert response.status_code == 200 and b"Select a valid choice" in response.content


def test_only_another_admin_of_the_company_deactivates_its_people(member: BillingCompanyMember) -> None:
    from practica.accounts.errors import AccessError
    from practica.accounts.services import deactivate_billing_company_member

    colleague = BillingCompanyMemberFactory.create(company=member.company)
    outsider = BillingCompanyMemberFactory.create(is_admin=True)
    admin = BillingCompanyMemberFactory.create(company=member.company, is_admin=True)
    for acting in (colleague, outsider):
        with pytest.raises(AccessError, match="Only an admin"):
            deactivate_billing_company_member(member=member, acting_user=acting.user)
    with pytest.raises(AccessError, match="yourself"):
        deactivate_billing_company_member(member=admin, acting_user=admin.user)
    member.refresh_from_db()
    assert member.is_active
    deactivate_billing_company_member(member=member, acting_user=admin.user)
    member.refresh_from_db()
    assert not member.is_active
