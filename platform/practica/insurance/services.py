"""Writes of payers and coverages, shared by the portal, intake, the back office and the API.
Every save is audited by the audit signals."""

from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from practica.insurance.matching import payer_key
from practica.insurance.models import Coverage, Payer, Priority, Relationship, SubscriberSex
from practica.intake.uploads import check_upload
from practica.patients.models import Patient, PatientProfile

COVERAGE_FIELDS = [
    "member_id",
    "group_number",
    "group_name",
    "relationship",
    "subscriber_last_name",
    "subscriber_first_name",
    "subscriber_middle_name",
    "subscriber_suffix",
    "subscriber_date_of_birth",
    "subscriber_sex",
    "subscriber_address_line1",
    "subscriber_address_line2",
    "subscriber_city",
    "subscriber_state",
    "subscriber_postal_code",
    "effective_from",
    "effective_to",
    "prior_authorization_number",
    "copay_cents",
]
# A change of these on a coverage a claim was sent with is a new policy: the old one is kept.
_POLICY_IDENTITY = ("payer_id", "unmapped_payer_name", "member_id")
_NULLABLE = {"subscriber_date_of_birth", "effective_from", "effective_to", "copay_cents"}


def match_payer(name: str) -> Payer | None:
    """The practice's payer of this name, written however ('AETNA, Inc.' is 'Aetna')."""
    wanted = payer_key(name)
    if not wanted:
        return None
    for payer in Payer.objects.filter(is_active=True).only("pk", "name"):
        if payer_key(payer.name) == wanted:
            return Payer.objects.get(pk=payer.pk)
    return None


def link_unmapped_coverages(payer: Payer) -> int:
    """Coverages whose payer was kept by name only, and whose name is this payer's, now point at it
    (called when the practice sets up or renames a payer). One save each: each is audited."""
    linked = 0
    for coverage in Coverage.objects.filter(payer__isnull=True).exclude(unmapped_payer_name=""):
        if payer_key(coverage.unmapped_payer_name) == payer_key(payer.name):
            coverage.payer = payer
            coverage.unmapped_payer_name = ""
            coverage.save(update_fields=["payer", "unmapped_payer_name", "updated_at"])
            linked += 1
    return linked


def save_payer(data: dict[str, Any], payer: Payer | None = None) -> Payer:
    payer = payer or Payer()
    for name, value in data.items():
        setattr(payer, name, value)
    with transaction.atomic():
        payer.save()
        link_unmapped_coverages(payer)
    return payer


def _subscriber_is_patient(coverage: Coverage, patient: Patient) -> None:
    """A self-insured patient's subscriber details are the patient's own."""
    coverage.subscriber_last_name = coverage.subscriber_last_name or patient.last_name[:60]
    coverage.subscriber_first_name = coverage.subscriber_first_name or patient.first_name[:35]
    coverage.subscriber_date_of_birth = patient.date_of_birth
    coverage.subscriber_sex = patient.sex if patient.sex in SubscriberSex.values else SubscriberSex.UNKNOWN
    profile = PatientProfile.objects.filter(patient=patient).first()
    if profile is not None and not coverage.subscriber_address_line1:
        coverage.subscriber_address_line1 = profile.address_line1[:55]
        coverage.subscriber_address_line2 = profile.address_line2[:55]
        coverage.subscriber_city = profile.city[:30]
        coverage.subscriber_state = profile.state.strip().upper()[:2]
        coverage.subscriber_postal_code = profile.postal_code.replace("-", "").strip()[:10]


def save_coverage(
    patient: Patient,
    data: dict[str, Any],
    *,
    priority: str = Priority.PRIMARY,
    card_front: UploadedFile | None = None,
    card_back: UploadedFile | None = None,
) -> Coverage:
    """The patient's live coverage of this priority, created or changed. `data` names the payer as
    `payer` (a Payer) or `payer_name` (matched to a payer, or kept as given), and any of
    COVERAGE_FIELDS. Card photos pass the intake upload checks (UploadRejected) before anything is
    saved. A coverage some claim was made with is not rewritten into another policy: it is ended
    (kept as history) and a new one takes its place."""
    front_type = check_upload(card_front) if card_front is not None else None
    back_type = check_upload(card_back) if card_back is not None else None
    with transaction.atomic():
        current = (
            Coverage.objects.select_for_update()
            .filter(patient=patient, priority=priority, is_active=True)
            .first()
        )
        coverage = current or Coverage(patient=patient, priority=priority)
        if "payer" in data or "payer_name" in data:
            payer = data.get("payer") or match_payer(str(data.get("payer_name", "")))
            coverage.payer = payer
            coverage.unmapped_payer_name = "" if payer else str(data.get("payer_name", "")).strip()[:120]
        for name in COVERAGE_FIELDS:
            if name in data:
                value = data[name]
                setattr(coverage, name, "" if value is None and name not in _NULLABLE else value)
        if current is not None and current.claims.exists():
            old = Coverage.objects.get(pk=current.pk)
            if any(getattr(old, name) != getattr(coverage, name) for name in _POLICY_IDENTITY):
                old.is_active = False
                old.save(update_fields=["is_active", "updated_at"])
                coverage.pk = None
                coverage._state.adding = True
                coverage.card_front, coverage.card_back = old.card_front.name, old.card_back.name
        if coverage.relationship == Relationship.SELF:
            _subscriber_is_patient(coverage, patient)
        replaced = [
            str(stored.name)
            for stored, upload in ((coverage.card_front, card_front), (coverage.card_back, card_back))
            if stored
            and upload is not None
            and coverage.pk is not None
            and current is not None
            and current.pk == coverage.pk
        ]
        if card_front is not None and front_type is not None:
            coverage.card_front.save("card", card_front, save=False)
            coverage.card_front_content_type = front_type
        if card_back is not None and back_type is not None:
            coverage.card_back.save("card", card_back, save=False)
            coverage.card_back_content_type = back_type
        coverage.save()
        # A replaced photo is not kept around: delete its file once the new one is committed.
        storage = coverage.card_front.storage
        for name in replaced:
            transaction.on_commit(partial(storage.delete, name))
    return coverage
