"""Staff review of self-registrations: confirm the new record, or merge the account into the
practice's existing record of the same person and drop the empty duplicate."""

from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet

from portal.models import PortalAccount, ProxyLink
from practica.insurance.models import Coverage
from practica.patients.duplicates import duplicates_of
from practica.patients.errors import PatientError
from practica.patients.models import Patient, PatientProfile

# Rows that belong to a fresh registration and move or go with it; anything else means the new
# record already holds the patient's data (a booking, a form) and is not "empty".
_EMPTY_RECORD_RELATIONS = {"portal_account", "profile", "coverages"}


def awaiting_review() -> QuerySet[PortalAccount]:
    return PortalAccount.objects.filter(awaiting_review=True).select_related("patient").order_by("created_at")


def merge_candidates(account: PortalAccount) -> QuerySet[Patient]:
    """Existing records that may be the same person (practica.patients.duplicates: the same birth
    date and a similar name, the same phone or email), without a portal account of their own."""
    likely = [candidate.patient.pk for candidate in duplicates_of(account.patient)]
    return Patient.objects.filter(pk__in=likely, portal_account__isnull=True)


def confirm_as_new_patient(account: PortalAccount) -> PortalAccount:
    account.awaiting_review = False
    account.save(update_fields=["awaiting_review"])
    return account


def _holds_data(patient: Patient) -> bool:
    for relation in patient._meta.related_objects:
        if relation.name in _EMPTY_RECORD_RELATIONS or relation.related_model is ProxyLink:
            continue
        if relation.related_model._default_manager.filter(**{relation.field.name: patient}).exists():
            return True
    return False


def merge_into_existing(account: PortalAccount, existing_id: UUID) -> PortalAccount:
    """Moves the account to `existing` and deletes the duplicate record. Refused (PatientError)
    when `existing` is not a same-name, same-birth-date record without an account, or when the
    duplicate already holds data a merge would lose."""
    with transaction.atomic():
        account = PortalAccount.objects.select_for_update().select_related("patient").get(pk=account.pk)
        if not account.awaiting_review:
            raise PatientError("This registration was already reviewed.")
        existing = merge_candidates(account).filter(pk=existing_id).first()
        if existing is None:
            raise PatientError("Choose a likely duplicate of this registration without a portal account.")
        duplicate = account.patient
        if _holds_data(duplicate):
            raise PatientError(
                "The new record already has appointments or forms; confirm it and merge it by hand."
            )
        # What the patient entered since registering goes along, unless the record has its own.
        if not PatientProfile.objects.filter(patient=existing).exists():
            PatientProfile.objects.filter(patient=duplicate).update(patient=existing)
        # The insurance entered at registration goes along unless the record has its own (one save
        # per coverage, so each move is audited).
        if not Coverage.objects.filter(patient=existing, is_active=True).exists():
            for coverage in Coverage.objects.filter(patient=duplicate):
                coverage.patient = existing
                coverage.save(update_fields=["patient", "updated_at"])
        account.patient = existing
        account.awaiting_review = False
        account.save(update_fields=["patient", "awaiting_review"])
        duplicate.delete()
    return account
