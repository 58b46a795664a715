"""A new practice, in a real browser: its owner signs up on the public site and lands signed in on
the practice's own host, on the first-run checklist.

The server builds links with a port (`PUBLIC_PORT`), as the demo does (`:8000`), and the pages'
Content-Security-Policy is in force: Chromium checks form-action on the signup form's redirect to
the practice's host, which a source without the port would block (the browser then stayed on the
form, with the practice created and no word said)."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_delete
from psycopg import sql

from practica.accounts.models import User
from practica.audit import signals as audit_signals
from practica.core.tenancy import use_public_schema
from tenants.models import Practice
from tests.e2e.conftest import Server, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

SLUG = "e2e-signup"
OWNER_EMAIL = "olive@signup.example"
OWNER_PASSWORD = "a-long-signup-passphrase-42"


@pytest.fixture
def signed_up_practice_removed(django_db_blocker: Any) -> Iterator[None]:
    """The server commits the new practice (schema and all) and its owner: removed afterwards. Its
    audit trail lives in its schema, which goes first, so the deletions are not audited."""
    yield
    with django_db_blocker.unblock():
        use_public_schema()
        post_delete.disconnect(dispatch_uid="audit_post_delete")
        try:
            for practice in Practice.objects.filter(slug=SLUG):
                practice.delete(force_drop=True)
            # Not through the ORM: its cascade would look for practice tables in the public schema.
            with connection.cursor() as cursor:
                users = sql.Identifier(User._meta.db_table)
                cursor.execute(sql.SQL("DELETE FROM {} WHERE email = %s").format(users), [OWNER_EMAIL])
        finally:
            audit_signals.connect()


def test_a_new_practice_lands_signed_in_on_its_own_host(
    server: Server, new_context: Any, signed_up_practice_removed: None
) -> None:
    page = new_context().new_page()
    page.goto(f"{server.public_url}/signup/")
    assert_accessible(page)
    page.get_by_label("Practice name").fill("Olive Grove Clinic")
    page.get_by_label("Subdomain").fill(SLUG)
    page.get_by_label("Your name").fill("Olive Grove")
    page.get_by_label("Your email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Create my practice").click()

    practice_root = server.public_url.replace("://", f"://{SLUG}.", 1)
    page.wait_for_url(re.compile(rf"^{re.escape(practice_root)}/$"))
    page.get_by_role("heading", name="Welcome, Olive Grove").wait_for()
    assert "Get Olive Grove Clinic ready" in page.content()
    assert_accessible(page)

    # Signed in there for good: the back office's pages open without a sign-in.
    page.goto(f"{practice_root}/patients/")
    assert page.url == f"{practice_root}/patients/"
    assert Practice.objects.filter(slug=SLUG, status=Practice.Status.TRIAL).exists()
