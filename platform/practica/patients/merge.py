"""Merging two records of one person: everything that points at the duplicate (appointments,
waitlist entries, coverages, the ledger, payments and pay links, message threads, intake
submissions, the portal account and its links, encounters and claims, notifications, and any
relation added later) is moved to the record kept, and the duplicate is deleted. Every moved row
is an UPDATE the audit triggers record with the actor, and a PatientMerge row says who merged which
record into which, with what moved. The relations are found from the model's metadata, so a new
app's records are not left behind; the few that allow one row per patient are reconciled first."""

from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import ForeignObjectRel, Model

from practica.patients.errors import MergeRefused
from practica.patients.models import Patient, PatientMerge, PatientProfile

# Details copied to the record kept where it has none.
_FILLED_FIELDS = ("email", "phone")
# One-per-patient rows the kept record's own wins over: a phone check is made again.
_DROPPED_WHEN_BOTH = {"portal.phoneverification"}


def _relations() -> list[ForeignObjectRel]:
    return [
        field
        for field in Patient._meta.get_fields(include_hidden=True)
        if isinstance(field, ForeignObjectRel) and field.auto_created and not field.concrete
    ]


def related_counts(patient: Patient) -> dict[str, int]:
    """How many rows of each kind point at `patient` (verbose plural names), those with any."""
    counts: dict[str, int] = {}
    for relation in _relations():
        model = relation.related_model
        number = model._default_manager.filter(**{relation.field.name: patient}).count()
        if number:
            counts[str(model._meta.verbose_name_plural)] = number
    return counts


def _merge_profiles(keep: Patient, duplicate: Patient) -> None:
    theirs = PatientProfile.objects.filter(patient=duplicate).first()
    if theirs is None:
        return
    mine = PatientProfile.objects.filter(patient=keep).first()
    if mine is None:
        theirs.patient = keep
        theirs.save(update_fields=["patient", "updated_at"])
        return
    blanks = [
        field.name
        for field in PatientProfile._meta.concrete_fields
        if isinstance(getattr(mine, field.attname), str)
        and not getattr(mine, field.attname)
        and getattr(theirs, field.attname)
    ]
    for name in blanks:
        setattr(mine, name, getattr(theirs, name))
    if blanks:
        mine.save(update_fields=[*blanks, "updated_at"])
    theirs.delete()


def _reconcile(keep: Patient, duplicate: Patient) -> None:
    """Rows whose constraints allow one per patient (or per patient and something else)."""
    Coverage = apps.get_model("insurance", "Coverage")
    ProxyLink = apps.get_model("portal", "ProxyLink")
    # One active coverage per priority: the duplicate's ends where the kept record has one (the
    # row stays, as history and for the claims that point at it).
    taken = Coverage.objects.filter(patient=keep, is_active=True).values("priority")
    for coverage in Coverage.objects.filter(patient=duplicate, is_active=True, priority__in=taken):
        coverage.is_active = False
        coverage.save(update_fields=["is_active", "updated_at"])
    # A guardian linked to both records is linked once; the kept record's own account needs no link.
    ProxyLink.objects.filter(patient=duplicate, account__patient=keep).delete()
    ProxyLink.objects.filter(
        patient=duplicate, account__in=ProxyLink.objects.filter(patient=keep).values("account")
    ).delete()


def merge_patients(*, keep: Patient, duplicate: Patient, merged_by: Any = None) -> PatientMerge:
    """Move everything of `duplicate` to `keep` and delete `duplicate`, in one transaction; both
    rows are locked (in a fixed order) so no booking or payment lands on the duplicate meanwhile.
    Raises MergeRefused, writing nothing, for one record twice or two of a kind both records hold
    and only one may (portal accounts, saved cards)."""
    if keep.pk == duplicate.pk:
        raise MergeRefused("Choose two different records.", "same_patient")
    with transaction.atomic():
        both = Patient.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk]).order_by("pk")
        locked = {patient.pk: patient for patient in both}
        if len(locked) != 2:
            raise MergeRefused("One of the records no longer exists.", "gone")
        keep, duplicate = locked[keep.pk], locked[duplicate.pk]
        _merge_profiles(keep, duplicate)
        _reconcile(keep, duplicate)
        moved: dict[str, int] = {}
        for relation in _relations():
            model: type[Model] = relation.related_model
            if model is PatientProfile:
                continue
            field = relation.field.name
            rows = model._default_manager.filter(**{field: duplicate})
            both_have_one = (
                relation.one_to_one
                and rows.exists()
                and model._default_manager.filter(**{field: keep}).exists()
            )
            if both_have_one and model._meta.label_lower in _DROPPED_WHEN_BOTH:
                rows.delete()
                continue
            if both_have_one:
                name = model._meta.verbose_name
                raise MergeRefused(
                    f"Both records have a {name}; only one can be kept. Remove one first.", "both_have_one"
                )
            try:
                with transaction.atomic():
                    number = rows.update(**{field: keep})
            except IntegrityError as error:
                detail = str(error).split("\n")[0]
                name = model._meta.verbose_name_plural
                raise MergeRefused(f"The {name} of the two records conflict: {detail}", "conflict") from error
            if number:
                moved[model._meta.label_lower] = number
        filled = [name for name in _FILLED_FIELDS if not getattr(keep, name) and getattr(duplicate, name)]
        for name in filled:
            setattr(keep, name, getattr(duplicate, name))
        if filled:
            keep.save(update_fields=[*filled, "updated_at"])
        merge = PatientMerge.objects.create(
            kept=keep,
            merged_patient_id=duplicate.pk,
            merged_name=str(duplicate),
            merged_date_of_birth=duplicate.date_of_birth,
            moved=moved,
            merged_by_id=getattr(merged_by, "pk", None),
            merged_by_name=getattr(merged_by, "full_name", "") or getattr(merged_by, "email", "") or "",
        )
        duplicate.delete()
    return merge
