"""Every write of eligibility data: a check begun, the payer's answer (or the failure to get one)
recorded, the practice's freshness window. Each in a transaction; the database triggers audit the
rows with the actor in context."""

import datetime as dt
from dataclasses import asdict
from uuid import UUID

from django.db import transaction

from practica.eligibility import crypto, schedule
from practica.eligibility.errors import EligibilityError
from practica.eligibility.models import EligibilityCheck, EligibilitySettings, Status, Trigger
from practica.insurance.models import Coverage
from practica.x12.inquiry270 import GENERAL_SERVICE_TYPE
from practica.x12.read271 import Eligibility, assess_271, unverified


def service_types_for(visit_type_code: str = "") -> list[str]:
    """The general plan code, then the visit type's own (e.g. "98", an office visit)."""
    codes = [GENERAL_SERVICE_TYPE]
    if visit_type_code and visit_type_code != GENERAL_SERVICE_TYPE:
        codes.append(visit_type_code)
    return codes


@transaction.atomic
def begin_check(
    coverage: Coverage,
    *,
    service_date: dt.date,
    now: dt.datetime,
    trigger: str = Trigger.MANUAL,
    service_types: list[str] | None = None,
    appointment_id: UUID | None = None,
) -> EligibilityCheck:
    """A pending check: what is asked, of which coverage, for which visit."""
    if trigger not in Trigger.values:
        raise EligibilityError(f"{trigger!r} is not a reason to check eligibility.", "bad_trigger")
    return EligibilityCheck.objects.create(
        coverage=coverage,
        appointment_id=appointment_id,
        trigger=trigger,
        service_types=service_types or service_types_for(),
        service_date=service_date,
        requested_at=now,
    )


def _apply(check: EligibilityCheck, result: Eligibility, now: dt.datetime, raw: str) -> EligibilityCheck:
    share = result.in_network
    check.status = result.status
    check.reason = result.reason[:300]
    check.next_step = result.next_step[:300]
    check.plan_name = result.plan_name[:80]
    check.group_name = result.group_name[:80]
    check.group_number = result.group_number[:50]
    check.service_type = result.service_type[:2]
    check.copay_cents = share.copay_cents
    check.coinsurance_percent = share.coinsurance_percent
    check.deductible_cents = share.deductible_cents
    check.deductible_remaining_cents = share.deductible_remaining_cents
    check.out_of_pocket_cents = share.out_of_pocket_cents
    check.out_of_pocket_remaining_cents = share.out_of_pocket_remaining_cents
    out = asdict(result.out_of_network)
    if out.get("coinsurance_percent") is not None:
        out["coinsurance_percent"] = str(out["coinsurance_percent"])
    check.out_of_network = {k: v for k, v in out.items() if v is not None}
    check.messages = list(result.messages)[:50]
    check.trace_number = result.trace_number[:50]
    check.raw_271_encrypted = crypto.encrypt(raw) if raw else ""
    check.completed_at = now
    check.save()
    return check


@transaction.atomic
def record_response(check: EligibilityCheck, raw_271: str, *, now: dt.datetime) -> EligibilityCheck:
    """The payer's 271, read for the visit's service types and stored (raw text encrypted).
    A malformed response is recorded as 'could not verify' with the reason, never an error."""
    check = EligibilityCheck.objects.select_for_update().get(pk=check.pk)
    result = assess_271(raw_271, tuple(check.service_types), trace_number=str(check.pk.hex)[:20])
    return _apply(check, result, now, raw_271)


@transaction.atomic
def record_failure(check: EligibilityCheck, reason: str, *, now: dt.datetime) -> EligibilityCheck:
    """No 271 came back (timeout, refused connection, the coverage cannot be asked about)."""
    check = EligibilityCheck.objects.select_for_update().get(pk=check.pk)
    return _apply(check, unverified(reason, "The check will be tried again; or call the payer."), now, "")


@transaction.atomic
def set_freshness(hours: int) -> EligibilitySettings:
    if hours < 1:
        raise EligibilityError("The freshness window is at least one hour.", "bad_freshness")
    settings, _ = EligibilitySettings.objects.select_for_update().get_or_create(singleton=True)
    settings.freshness_hours = hours
    settings.save(update_fields=["freshness_hours"])
    return settings


@transaction.atomic
def configure_realtime(
    url: str, *, sender_id: str = "", receiver_id: str = "", now: dt.datetime
) -> EligibilitySettings:
    """Where the practice's real-time checks go (empty: none are sent). The nightly batch is
    planned (or unplanned) in the public due index in the same transaction."""
    url = url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise EligibilityError(f"{url!r} is not an http(s) address.", "realtime_url")
    if len(sender_id) > 15 or len(receiver_id) > 15:
        raise EligibilityError("Sender and receiver ids are at most 15 characters.", "bad_ids")
    settings, _ = EligibilitySettings.objects.select_for_update().get_or_create(singleton=True)
    settings.realtime_url = url
    settings.realtime_sender_id = sender_id
    settings.realtime_receiver_id = receiver_id
    settings.save(update_fields=["realtime_url", "realtime_sender_id", "realtime_receiver_id"])
    schedule.plan_next_run(now)
    return settings


__all__ = [
    "Status",
    "begin_check",
    "configure_realtime",
    "record_failure",
    "record_response",
    "service_types_for",
    "set_freshness",
]
