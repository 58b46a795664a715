"""A login's second factor once it has one: a session that was never verified cannot enrol another
authenticator, only prove the existing one; device changes are audited and emailed."""

from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from notifications.account_emails import send_due_account_emails
from notifications.routing.models import AccountEmail
from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.test_security import code_for


def _require_two_factor(practice: Practice) -> None:
    owner = signed_in_client(staff(practice, Role.OWNER), practice)
    owner.post("/settings/security/", {"action": "security", "require_staff_two_factor": "on"})
    practice.refresh_from_db()
    assert practice.require_staff_two_factor


def test_a_password_only_session_cannot_enrol_a_second_authenticator(practice_a: Practice) -> None:
    """The session opened before the person enrolled elsewhere (and before the requirement): it is
    sent to the two-factor page, which now asks for a code of the existing device."""
    person = staff(practice_a, Role.FRONT_DESK)
    old_session = signed_in_client(person, practice_a)  # password only
    existing = TOTPDevice.objects.create(user=person, name="phone", confirmed=True)
    _require_two_factor(practice_a)

    assert old_session.get("/patients/")["Location"] == "/account/two-factor/"
    page = old_session.get("/account/two-factor/")
    assert b"already has an authenticator" in page.content and b"<svg" not in page.content
    assert not TOTPDevice.objects.filter(user=person, confirmed=False).exists()  # no new secret shown
    # A code of a device it might have made on its own is refused; nothing is added.
    assert b"not valid" in old_session.post("/account/two-factor/", {"token": "123456"}).content
    assert list(TOTPDevice.objects.filter(user=person)) == [existing]
    assert old_session.get("/patients/")["Location"] == "/account/two-factor/"
    existing.refresh_from_db()
    existing.throttle_reset()  # django-otp holds the device back for a moment after a wrong code
    # The existing device's code verifies the session.
    assert old_session.post("/account/two-factor/", {"token": code_for(existing)}).status_code == 302
    assert old_session.get("/patients/").status_code == 200
    assert TOTPDevice.objects.filter(user=person).count() == 1


def test_enrolling_the_first_authenticator_is_audited_and_emailed(practice_a: Practice) -> None:
    person = staff(practice_a, Role.FRONT_DESK)
    _require_two_factor(practice_a)
    browser = signed_in_client(person, practice_a)
    browser.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    mail.outbox.clear()
    assert browser.post("/account/two-factor/", {"token": code_for(device)}).status_code == 302
    # An outbox row written with the change; nothing was sent from the request.
    queued = AccountEmail.objects.get(to_address=person.email)
    assert queued.state == AccountEmail.State.SCHEDULED and "added to" in queued.subject
    assert '"Authenticator app"' in queued.body and mail.outbox == []
    assert send_due_account_emails() == 1  # the workers send it
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email] and "added to" in mail.outbox[0].subject
    queued.refresh_from_db()
    assert queued.state == AccountEmail.State.SENT and send_due_account_emails() == 0
    with tenant_context(practice_a):
        event = AuditEvent.objects.filter(object_type="otp_totp.totpdevice", object_id=str(device.pk)).get()
    assert event.action == AuditEvent.Action.CREATE and event.actor_email == person.email


def test_a_second_session_cannot_confirm_a_device_once_the_first_did(practice_a: Practice) -> None:
    person = staff(practice_a, Role.FRONT_DESK)
    _require_two_factor(practice_a)
    first, second = signed_in_client(person, practice_a), signed_in_client(person, practice_a)
    first.get("/account/two-factor/")
    second.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    assert first.post("/account/two-factor/", {"token": code_for(device)}).status_code == 302
    # The same code from the other session does not verify it (a code works once) nor add a device.
    assert second.post("/account/two-factor/", {"token": code_for(device)}).status_code == 200
    assert second.get("/patients/")["Location"] == "/account/two-factor/"
    assert TOTPDevice.objects.filter(user=person).count() == 1
