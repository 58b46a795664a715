"""Statements in a real browser, the Content-Security-Policy in force: a biller makes this month's
statements, the patient finds theirs on the portal's Statements page (axe-core checks both sides),
pays it through the statement's pay-by-link on Stripe's hosted Checkout (the fake's page, the
signed webhook posting the payment), and the next dunning step then does not happen."""

import datetime
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications.models import Kind, Notification
from practica.accounts.models import Membership
from practica.accounts.roles import Role
from practica.patient_billing import ledger, paylinks
from practica.patient_billing.models import LedgerEntry
from practica.patient_billing.selectors import balance_cents
from practica.statements.due.models import StatementDueWork
from practica.statements.dunning import run_dunning
from practica.statements.models import Statement
from tests.billing.fake_stripe import FakeStripe
from tests.e2e.conftest import Server, Site, assert_accessible, sign_in_staff
from tests.e2e.test_balance_payment import card_payments  # noqa: F401  (the practice takes cards)
from tests.factories import UserFactory
from tests.portal.conftest import PATIENT_PASSWORD, make_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

PATIENT_EMAIL = "stella.statement@example.org"
BILLER_EMAIL = "statements-biller@e2e.example"
CARD = "4242 4242 4242 4242"
WEBHOOK_WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def owing_patient(e2e_site: Site, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock():
        biller = UserFactory.create(email=BILLER_EMAIL, full_name="Stan Statements")
        Membership.objects.create(user=biller, practice=e2e_site.practice, role=Role.BILLER)
        with tenant_context(e2e_site.practice):
            account = make_account(PATIENT_EMAIL, first_name="Stella", last_name="Statement")
            ledger.post_entry(account.patient, LedgerEntry.Kind.CHARGE, 12_000, memo="Visit")
    yield str(account.patient_id)
    with django_db_blocker.unblock():
        # Tick tests elsewhere count the practices in the index.
        StatementDueWork.objects.filter(practice=e2e_site.practice).delete()


def test_a_statement_run_the_portal_page_paying_by_the_link_and_no_next_reminder(
    e2e_site: Site,
    server: Server,
    stripe_fake: FakeStripe,
    card_payments: str,  # noqa: F811
    owing_patient: str,
    new_context: Any,
) -> None:
    staff = new_context().new_page()
    sign_in_staff(staff, server, BILLER_EMAIL)
    staff.goto(f"{server.base_url}/statements/")
    assert_accessible(staff)
    staff.get_by_role("button", name="Make this month's statements now").click()
    staff.wait_for_url(re.compile(r"/statements/runs/[0-9a-f-]+/$"))
    row = staff.get_by_role("row").filter(has_text="Statement, Stella")
    assert "$120.00" in row.inner_text()
    row.get_by_role("link", name=re.compile("PDF of statement")).wait_for()
    assert_accessible(staff)

    page = new_context().new_page()
    page.goto(f"{server.base_url}/portal/login/")
    page.get_by_label("Email").fill(PATIENT_EMAIL)
    page.get_by_label("Password").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.base_url}/portal/")
    page.get_by_role("link", name="Your statements").click()
    page.wait_for_url("**/portal/statements/")
    assert page.locator("#statement-balance").inner_text() == "$120.00"
    link = page.get_by_role("link", name=re.compile("PDF of the statement"))
    # Fetched by the page itself (same origin, its session): the browser resolves the practice host.
    fetched = page.evaluate(
        "href => fetch(href).then(r => r.text().then(t => [r.status, t.slice(0, 4)]))",
        link.get_attribute("href"),
    )
    assert fetched == [200, "%PDF"]
    assert_accessible(page)

    with tenant_context(e2e_site.practice):
        statement = Statement.objects.select_related("pay_link").get(patient_id=owing_patient)
        assert statement.pay_link is not None
        pay_path = f"/pay/{paylinks.token_for(statement.pay_link)}/"
    page.goto(server.base_url + pay_path)  # as from the PDF's link or QR code
    assert "$120.00" in page.content()
    page.get_by_role("button", name="Pay by card").click()
    page.wait_for_url(f"{stripe_fake.base_url}/c/pay/**")
    assert stripe_fake.last("POST", "/v1/checkout/sessions").stripe_account == card_payments
    page.get_by_label("Card number").fill(CARD)
    page.get_by_role("button", name="Pay $120.00").click()

    deadline = time.monotonic() + WEBHOOK_WAIT_SECONDS
    with tenant_context(e2e_site.practice):
        while balance_cents(statement.patient) != 0 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert balance_cents(statement.patient) == 0, stripe_fake.deliveries
        # The first reminder's day comes: the statement is paid, so nothing is planned.
        later = timezone.now() + datetime.timedelta(days=45)
        run_dunning(now=later)
        statement.refresh_from_db()
        assert statement.status == Statement.Status.PAID and statement.next_dunning_at is None
        assert not Notification.objects.filter(statement=statement, kind=Kind.STATEMENT_REMINDER).exists()
    page.goto(f"{server.base_url}/portal/statements/")
    assert page.locator("#statement-balance").inner_text() == "$0.00"
    assert_accessible(page)
