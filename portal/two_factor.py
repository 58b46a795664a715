"""A patient's optional second sign-in factor: an authenticator app (TOTP, checked with django-otp's
TOTP) and single-use recovery codes (django-otp's static tokens), kept as keyed hashes.

Everything here is written for one practice: devices and codes live in the practice schema beside
the account, and the failure counter lives in the practice's cache space. Wrong codes, wherever
they are typed (sign-in, turning the factor off), count towards one lockout per account.
"""

import re
import secrets
import time
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP

from portal.accounts import LOCKOUT_SECONDS, bump_counter, counter_key
from portal.emails import email_language, queue_email
from portal.errors import PortalError
from portal.links import current_practice
from portal.models import PortalAccount, PortalRecoveryCode, PortalTOTPDevice

CODE_FAILURE_LIMIT = 5  # wrong codes per account before LOCKOUT_SECONDS of refusal
RECOVERY_CODE_COUNT = 10
TOTP_STEP_SECONDS = 30
TOTP_TOLERANCE_STEPS = 1  # a code from the step before or after still counts (clock skew)
# Lazy: shown in the language of the request that hits them.
LOCKED_MESSAGE = format_lazy(
    _("Too many wrong codes. Try again in {minutes} minutes."), minutes=LOCKOUT_SECONDS // 60
)
WRONG_CODE_MESSAGE = _("That code is not valid. Enter the newest code from your app, or a recovery code.")

_TOTP_CODE = re.compile(r"^\d{6}$")


def is_enabled(account: PortalAccount) -> bool:
    return PortalTOTPDevice.objects.filter(account=account, confirmed=True).exists()


def pending_device(account: PortalAccount) -> PortalTOTPDevice:
    """The device being set up: the same secret until it is confirmed, so a reload shows the code
    the patient may already have scanned."""
    device, _ = PortalTOTPDevice.objects.get_or_create(account=account)
    if device.confirmed:
        raise PortalError(gettext("Two-factor sign-in is already on."), "already_on")
    return device


def secret_of(device: PortalTOTPDevice) -> str:
    """The key as authenticator apps accept it typed in (base32, no padding)."""
    return b32encode(unhexlify(device.key)).decode().rstrip("=")


def setup_url(device: PortalTOTPDevice) -> str:
    """The otpauth:// address in the QR code (the key URI format django-otp's config_url builds),
    labelled with the practice's name so the app tells one practice's portal from another."""
    issuer = current_practice().name.replace(":", "")
    label = quote(f"{issuer}:{device.account.email}")
    params = urlencode(
        {"secret": secret_of(device), "algorithm": "SHA1", "digits": 6, "period": TOTP_STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{params}&issuer={quote(issuer)}"


def _failures_key(account: PortalAccount) -> str:
    return counter_key("code-failures", str(account.pk))


def is_locked(account: PortalAccount) -> bool:
    return int(cache.get(_failures_key(account), 0)) >= CODE_FAILURE_LIMIT


def _note_failure(account: PortalAccount) -> None:
    bump_counter(_failures_key(account), LOCKOUT_SECONDS)


def _accept_totp(device: PortalTOTPDevice, code: str) -> bool:
    """django-otp's TOTP check; the time step is then claimed with a conditional UPDATE, so the same
    code sent twice at once (a replay racing the real sign-in) is accepted only once."""
    totp = TOTP(unhexlify(device.key), step=TOTP_STEP_SECONDS, drift=device.drift)
    totp.time = time.time()
    if not totp.verify(int(code), tolerance=TOTP_TOLERANCE_STEPS, min_t=device.last_t + 1):
        return False
    claimed = PortalTOTPDevice.objects.filter(pk=device.pk, last_t__lt=totp.t()).update(
        last_t=totp.t(), drift=totp.drift
    )
    return claimed == 1


def _recovery_hash(account: PortalAccount, code: str) -> str:
    normalised = re.sub(r"[\s-]", "", code).lower()
    return salted_hmac("practica.portal.recovery-code", f"{account.pk}:{normalised}").hexdigest()


def _use_recovery_code(account: PortalAccount, code: str) -> bool:
    # One UPDATE both checks and spends the code: it works once, even when sent twice at once.
    spent = PortalRecoveryCode.objects.filter(
        account=account, code_hash=_recovery_hash(account, code), used_at=None
    ).update(used_at=timezone.now())
    return spent == 1


def check_code(account: PortalAccount, code: str) -> None:
    """Accept a code from the app or an unused recovery code for this account, or raise PortalError
    ("locked" once CODE_FAILURE_LIMIT wrong codes were typed within LOCKOUT_SECONDS, "wrong_code")."""
    if is_locked(account):
        raise PortalError(str(LOCKED_MESSAGE), "locked")
    code = code.strip()
    device = PortalTOTPDevice.objects.filter(account=account, confirmed=True).first()
    accepted = device is not None and (
        _accept_totp(device, code) if _TOTP_CODE.match(code) else _use_recovery_code(account, code)
    )
    if not accepted:
        _note_failure(account)
        if is_locked(account):
            raise PortalError(str(LOCKED_MESSAGE), "locked")
        raise PortalError(str(WRONG_CODE_MESSAGE), "wrong_code")
    cache.delete(_failures_key(account))


def _random_recovery_code() -> str:
    # The form of django-otp's static tokens (8 base32 characters, 40 random bits); its otp_static
    # models are not used because they hang off the staff user in the public schema.
    return b32encode(secrets.token_bytes(5)).decode().lower()


def _new_recovery_codes(account: PortalAccount) -> list[str]:
    codes = [_random_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    PortalRecoveryCode.objects.filter(account=account).delete()
    PortalRecoveryCode.objects.bulk_create(
        PortalRecoveryCode(account=account, code_hash=_recovery_hash(account, code)) for code in codes
    )
    return codes


@transaction.atomic
def turn_on(account: PortalAccount, code: str) -> list[str]:
    """Confirm the app with a code it shows; returns the recovery codes, the only time they exist
    in clear. A wrong code counts towards the lockout like any other."""
    if is_locked(account):
        raise PortalError(str(LOCKED_MESSAGE), "locked")
    device = pending_device(account)
    if not (_TOTP_CODE.match(code.strip()) and _accept_totp(device, code.strip())):
        _note_failure(account)
        raise PortalError(
            gettext(
                "That code is not valid. Scan the QR code again (or type the key) "
                "and enter the newest 6 digits."
            ),
            "wrong_code",
        )
    PortalTOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    _tell_patient(account, added=True)
    return _new_recovery_codes(account)


@transaction.atomic
def turn_off(account: PortalAccount, password_or_code: str) -> None:
    """Remove the app and the recovery codes, after the account's password or a valid code."""
    if is_locked(account):
        raise PortalError(str(LOCKED_MESSAGE), "locked")
    if not account.check_password(password_or_code):
        try:
            check_code(account, password_or_code)
        except PortalError as error:
            if error.code == "locked":
                raise
            raise PortalError(
                gettext("That is neither your password nor a valid code."), "wrong_password_or_code"
            ) from error
    PortalTOTPDevice.objects.filter(account=account).delete()
    PortalRecoveryCode.objects.filter(account=account).delete()
    cache.delete(_failures_key(account))
    _tell_patient(account, added=False)


@transaction.atomic
def turn_off_for_patient(account: PortalAccount) -> bool:
    """Staff turn it off for a patient who lost both the app and the recovery codes (after checking
    who is asking, as for a password reset by phone). Returns whether it was on."""
    removed, _ = PortalTOTPDevice.objects.filter(account=account).delete()
    PortalRecoveryCode.objects.filter(account=account).delete()
    cache.delete(_failures_key(account))
    if removed:
        _tell_patient(account, added=False)
    return removed > 0


def _tell_patient(account: PortalAccount, *, added: bool) -> None:
    """The change is in the audit trail already (the practice's triggers record every device row
    written); the patient is emailed through the outbox, in this transaction, whoever made it."""
    queue_email(
        account.email,
        _("An authenticator was added to your portal account")
        if added
        else _("The authenticator was removed from your portal account"),
        "portal/email/device_change.txt",
        {"added": added},
        language=email_language(account.patient),
    )


def recovery_codes_left(account: PortalAccount) -> int:
    return PortalRecoveryCode.objects.filter(account=account, used_at=None).count()
