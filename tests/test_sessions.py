"""Sessions stay where they were opened, and a new password ends the other ones.

(Their open sockets: tests/messaging/test_socket_access.py.)"""

from urllib.parse import urlsplit

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from portal import accounts as portal_accounts
from practica.accounts.models import Membership
from practica.accounts.roles import Role
from tenants.models import Practice
from tests.conftest import PUBLIC_HOST, host_of, signed_in_client, staff
from tests.factories import PASSWORD
from tests.portal.conftest import make_account, portal_client


def test_a_practice_session_is_nobody_on_the_public_site_and_mints_no_hand_off(
    practice_a: Practice, practice_b: Practice
) -> None:
    user = staff(practice_a, Role.OWNER)
    Membership.objects.create(user=user, practice=practice_b, role=Role.OWNER)
    at_a = signed_in_client(user, practice_a)
    cookie = at_a.cookies["sessionid"].value
    public = Client(HTTP_HOST=PUBLIC_HOST)
    public.cookies["sessionid"] = cookie
    assert urlsplit(public.get("/practices/")["Location"]).path == "/login/"
    response = public.get(f"/go/{practice_b.slug}/")
    assert urlsplit(response["Location"]).path == "/login/"  # not a hand-off to B
    # ... and the session still works where it was opened, not at another practice.
    assert at_a.get("/patients/").status_code == 200
    at_b = Client(HTTP_HOST=host_of(practice_b))
    at_b.cookies["sessionid"] = cookie
    assert at_b.get("/patients/").status_code == 404


def test_switching_from_inside_a_practice_goes_through_the_public_site(
    practice_a: Practice, practice_b: Practice
) -> None:
    user = staff(practice_a, Role.OWNER)
    Membership.objects.create(user=user, practice=practice_b, role=Role.OWNER)
    at_a = signed_in_client(user, practice_a)
    target = urlsplit(at_a.get(f"/go/{practice_b.slug}/")["Location"])
    assert (target.hostname, target.path) == (PUBLIC_HOST, f"/go/{practice_b.slug}/")


def test_a_hand_off_carries_the_public_sessions_second_factor(
    practice_a: Practice, practice_b: Practice
) -> None:
    practice_b.require_staff_two_factor = True
    practice_b.save(update_fields=["require_staff_two_factor"])
    user = staff(practice_b, Role.OWNER)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    public = signed_in_client(user, None)
    session = public.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    to_b = urlsplit(public.get(f"/go/{practice_b.slug}/")["Location"])
    at_b = Client(HTTP_HOST=host_of(practice_b))
    assert at_b.get(f"{to_b.path}?{to_b.query}")["Location"] == "/"
    assert at_b.get("/patients/").status_code == 200  # verified: not sent to two-factor set-up


def test_a_staff_password_change_keeps_this_session_and_ends_the_others(practice_a: Practice) -> None:
    user = staff(practice_a, Role.FRONT_DESK)
    here, elsewhere = signed_in_client(user, practice_a), signed_in_client(user, practice_a)
    wrong = here.post(
        "/account/password/",
        {
            "old_password": "not it",
            "new_password1": "fresh passphrase 9981",
            "new_password2": "fresh passphrase 9981",
        },
    )
    assert wrong.status_code == 200 and wrong.context["form"].errors["old_password"]
    changed = here.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "fresh passphrase 9981",
            "new_password2": "fresh passphrase 9981",
        },
    )
    assert changed.status_code == 302
    assert here.get("/patients/").status_code == 200
    assert urlsplit(elsewhere.get("/patients/")["Location"]).path == "/login/"


def test_a_patient_password_reset_ends_every_portal_session(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("reset-me@example.org")
    phone, laptop = portal_client(account, practice_a), portal_client(account, practice_a)
    assert phone.get("/portal/").status_code == 200
    with tenant_context(practice_a):
        portal_accounts.reset_password(account, "a fresh portal passphrase 5")
    for client in (phone, laptop):
        assert urlsplit(client.get("/portal/")["Location"]).path == "/portal/login/"
