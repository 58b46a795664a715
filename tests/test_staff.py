"""Staff: invitations by signed, expiring link; roles and deactivation by the owner."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client

from practica.accounts.models import Invitation, Membership, User
from practica.accounts.roles import Role
from practica.accounts.tokens import make_invitation_token
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "lantern-meadow-copper-9"


def invite(client: Client, capture: Callable[..., Any], email: str, role: str = Role.FRONT_DESK) -> str:
    """Invite through the staff page; return the path of the link in the email."""
    with capture(execute=True):
        response = client.post("/staff/", {"email": email, "role": role})
    assert response.status_code == 302, response.content[:500]
    message = mail.outbox[-1]
    assert message.to == [email.lower()]
    match = re.search(r"https?://([^/\s]+)(/staff/join/[^\s]+/)", str(message.body))
    assert match is not None, message.body
    return match.group(2)


@pytest.fixture
def owner_client(practice_a: Practice) -> Client:
    return signed_in_client(staff(practice_a, Role.OWNER, full_name="Olive Owner"), practice_a)


def test_invitation_email_names_the_practice_and_role_and_links_to_its_host(
    practice_a: Practice, owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    invite(owner_client, django_capture_on_commit_callbacks, "Newbie@Example.com", Role.CLINICIAN)
    message = mail.outbox[-1]
    assert message.subject == "You're invited to join Alpha Clinic on Practica"
    assert "Olive Owner invited you to join Alpha Clinic on Practica as Clinician" in message.body
    assert f"://{host_of(practice_a)}/staff/join/" in message.body
    invitation = Invitation.objects.get(email="newbie@example.com")
    assert invitation.role == Role.CLINICIAN and invitation.is_open
    assert b"newbie@example.com" in owner_client.get("/staff/").content  # listed as pending


def test_a_new_person_accepts_and_is_signed_in_with_the_role(
    practice_a: Practice, owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    link = invite(owner_client, django_capture_on_commit_callbacks, "fresh@example.com", Role.CLINICIAN)
    newcomer = Client(HTTP_HOST=host_of(practice_a))
    page = newcomer.get(link)
    assert page.status_code == 200
    assert b"Join Alpha Clinic" in page.content and b"Clinician" in page.content

    weak = newcomer.post(link, {"full_name": "Fresh Face", "password": "123"})
    assert weak.status_code == 200 and b"This password is too short" in weak.content
    assert not User.objects.filter(email="fresh@example.com").exists()

    joined = newcomer.post(link, {"full_name": "Fresh Face", "password": NEW_PASSWORD})
    assert joined.status_code == 302 and joined["Location"] == "/"
    user = User.objects.get(email="fresh@example.com")
    assert user.check_password(NEW_PASSWORD) and user.full_name == "Fresh Face"
    assert Membership.objects.get(user=user, practice=practice_a).role == Role.CLINICIAN
    assert newcomer.get("/patients/").status_code == 200
    assert newcomer.get("/audit/").status_code == 403  # a clinician's rights, no more

    # The link is spent.
    again = Client(HTTP_HOST=host_of(practice_a)).get(link)
    assert again.status_code == 410 and b"already used" in again.content


def test_someone_with_a_login_elsewhere_joins_with_their_password(
    practice_a: Practice, practice_b: Practice, owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    elsewhere = staff(practice_b, Role.MANAGER, email="both@example.com")
    link = invite(owner_client, django_capture_on_commit_callbacks, "both@example.com", Role.BILLER)
    browser = Client(HTTP_HOST=host_of(practice_a))
    page = browser.get(link)
    assert b"Enter its password to join" in page.content
    assert b'name="full_name"' not in page.content

    wrong = browser.post(link, {"password": "not-my-password"})
    assert wrong.status_code == 200 and b"not the password of your Practica login" in wrong.content
    assert not Membership.objects.filter(user=elsewhere, practice=practice_a).exists()

    joined = browser.post(link, {"password": PASSWORD})
    assert joined.status_code == 302
    assert Membership.objects.get(user=elsewhere, practice=practice_a).role == Role.BILLER
    assert Membership.objects.get(user=elsewhere, practice=practice_b).role == Role.MANAGER
    assert User.objects.filter(email="both@example.com").count() == 1  # one login, two practices
    assert browser.get("/patients/").status_code == 200


@pytest.mark.parametrize(
    ("make_link", "reason"),
    [
        (lambda pk: make_invitation_token(pk)[:-3] + "abc", b"not valid"),
        (lambda pk: signing.dumps({"invitation": pk}, salt="another.salt"), b"not valid"),
        (lambda pk: "garbage", b"not valid"),
        (lambda pk: make_invitation_token(pk), b"has expired"),
    ],
    ids=["tampered", "wrong-salt", "garbage", "expired"],
)
def test_expired_or_tampered_links_get_a_clear_page(
    practice_a: Practice, settings: Any, make_link: Callable[[int], str], reason: bytes
) -> None:
    invitation = Invitation.objects.create(practice=practice_a, email="late@example.com", role=Role.BILLER)
    if reason == b"has expired":
        settings.INVITATION_MAX_AGE_SECONDS = -1
    browser = Client(HTTP_HOST=host_of(practice_a))
    for method in (browser.get, browser.post):
        response = method(f"/staff/join/{make_link(invitation.pk)}/")
        assert response.status_code == 410
        assert reason in response.content
        assert b"Ask the practice to send you a new invitation" in response.content
    assert not User.objects.filter(email="late@example.com").exists()
    assert Invitation.objects.get(pk=invitation.pk).is_open


def test_an_invitation_of_a_cannot_be_used_on_bs_host(practice_a: Practice, practice_b: Practice) -> None:
    invitation = Invitation.objects.create(practice=practice_a, email="x@example.com", role=Role.BILLER)
    response = Client(HTTP_HOST=host_of(practice_b)).get(
        f"/staff/join/{make_invitation_token(invitation.pk)}/"
    )
    assert response.status_code == 410
    assert b"Alpha Clinic" not in response.content


def test_only_an_owner_may_invite_an_owner(practice_a: Practice) -> None:
    manager = signed_in_client(staff(practice_a, Role.MANAGER), practice_a)
    response = manager.post("/staff/", {"email": "boss@example.com", "role": Role.OWNER})
    assert response.status_code == 200
    assert b"Only an owner can invite another owner." in response.content
    assert not Invitation.objects.filter(email="boss@example.com").exists()


def test_inviting_someone_already_on_staff_is_a_form_error(
    practice_a: Practice, owner_client: Client
) -> None:
    colleague = staff(practice_a, Role.CLINICIAN)
    response = owner_client.post("/staff/", {"email": colleague.email, "role": Role.BILLER})
    assert response.status_code == 200 and b"already on the staff list" in response.content


def membership(user: User, practice: Practice) -> Membership:
    return Membership.objects.get(user=user, practice=practice)


def test_owner_changes_a_role_and_it_applies_on_the_next_request(
    practice_a: Practice, owner_client: Client
) -> None:
    colleague = staff(practice_a, Role.FRONT_DESK)
    colleague_client = signed_in_client(colleague, practice_a)
    assert colleague_client.get("/patients/new/").status_code == 200
    response = owner_client.post(
        f"/staff/{membership(colleague, practice_a).pk}/", {"action": "role", "role": Role.BILLER}
    )
    assert response.status_code == 302
    assert membership(colleague, practice_a).role == Role.BILLER
    assert colleague_client.get("/patients/new/").status_code == 403


def test_an_unknown_role_is_refused(practice_a: Practice, owner_client: Client) -> None:
    colleague = staff(practice_a, Role.FRONT_DESK)
    response = owner_client.post(
        f"/staff/{membership(colleague, practice_a).pk}/",
        {"action": "role", "role": "superuser"},
        follow=True,
    )
    assert b"Choose one of the listed roles." in response.content
    assert membership(colleague, practice_a).role == Role.FRONT_DESK


def test_a_deactivated_person_loses_access_at_once_and_can_be_reactivated(
    practice_a: Practice, owner_client: Client
) -> None:
    colleague = staff(practice_a, Role.MANAGER)
    colleague_client = signed_in_client(colleague, practice_a)
    assert colleague_client.get("/patients/").status_code == 200
    target = f"/staff/{membership(colleague, practice_a).pk}/"
    assert owner_client.post(target, {"action": "deactivate"}).status_code == 302
    assert not membership(colleague, practice_a).is_active
    lost = colleague_client.get("/patients/")
    assert lost.status_code == 404 and b"Patients" not in lost.content
    # ...and is signed out, so the browser can be used to sign in again.
    assert colleague_client.get("/patients/")["Location"].startswith("/login/")
    assert colleague_client.get("/api/v1/patients/").status_code == 401
    refused = Client(HTTP_HOST=host_of(practice_a)).post(
        "/login/", {"email": colleague.email, "password": PASSWORD}
    )
    assert b"Email or password is incorrect." in refused.content
    assert b"Deactivated" in owner_client.get("/staff/").content
    owner_client.post(target, {"action": "reactivate"})
    assert signed_in_client(colleague, practice_a).get("/patients/").status_code == 200


def test_the_last_owner_can_be_neither_demoted_nor_deactivated(practice_a: Practice) -> None:
    first = staff(practice_a, Role.OWNER)
    second = staff(practice_a, Role.OWNER)
    first_client = signed_in_client(first, practice_a)

    # With two owners, one may step the other down...
    response = first_client.post(
        f"/staff/{membership(second, practice_a).pk}/", {"action": "role", "role": "manager"}
    )
    assert response.status_code == 302 and membership(second, practice_a).role == Role.MANAGER
    # ...but the last one may not demote themself,
    response = first_client.post(
        f"/staff/{membership(first, practice_a).pk}/", {"action": "role", "role": "manager"}, follow=True
    )
    assert b"A practice needs at least one owner" in response.content
    assert membership(first, practice_a).role == Role.OWNER
    # nor deactivate themself.
    response = first_client.post(
        f"/staff/{membership(first, practice_a).pk}/", {"action": "deactivate"}, follow=True
    )
    assert b"You cannot deactivate yourself." in response.content
    assert membership(first, practice_a).is_active


def test_the_last_active_owner_cannot_be_deactivated_by_a_service_call(practice_a: Practice) -> None:
    from practica.accounts.errors import AccessError
    from practica.accounts.services import set_member_active

    only_owner = staff(practice_a, Role.OWNER)
    other = UserFactory.create()
    with pytest.raises(AccessError, match="at least one active owner"):
        set_member_active(membership=membership(only_owner, practice_a), active=False, acting_user=other)
    assert membership(only_owner, practice_a).is_active


def test_staff_of_a_cannot_change_staff_of_b(
    practice_a: Practice, practice_b: Practice, owner_client: Client
) -> None:
    b_person = staff(practice_b, Role.OWNER)
    response = owner_client.post(f"/staff/{membership(b_person, practice_b).pk}/", {"action": "deactivate"})
    assert response.status_code == 404
    assert membership(b_person, practice_b).is_active
