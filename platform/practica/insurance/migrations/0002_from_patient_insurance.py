"""Each patients.PatientInsurance becomes the patient's primary Coverage: the free-text payer is
matched to a Payer row by name (practica.insurance.matching) or kept as `unmapped_payer_name`, the
subscriber's one-string name is split into its parts (practica.core.names), and the relationship is
mapped to its X12 code. A self-insured patient's subscriber details are the patient's own. The
card photos keep their stored files. Nothing is dropped."""

from django.db import migrations

from practica.core.names import split_person_name
from practica.insurance.matching import payer_key

RELATIONSHIPS = {"self": "18", "spouse": "01", "child": "19", "other": "G8"}
SEXES = {"F": "F", "M": "M"}


def forward(apps, schema_editor):
    PatientInsurance = apps.get_model("patients", "PatientInsurance")
    PatientProfile = apps.get_model("patients", "PatientProfile")
    Payer = apps.get_model("insurance", "Payer")
    Coverage = apps.get_model("insurance", "Coverage")
    payers = {payer_key(payer.name): payer for payer in Payer.objects.all()}
    for old in PatientInsurance.objects.select_related("patient").order_by("pk"):
        patient = old.patient
        if Coverage.objects.filter(patient=patient, priority="primary", is_active=True).exists():
            continue
        payer = payers.get(payer_key(old.payer))
        relationship = RELATIONSHIPS.get(old.subscriber_relationship, "G8")
        name = split_person_name(old.subscriber_name)
        coverage = Coverage(
            patient=patient,
            priority="primary",
            payer=payer,
            unmapped_payer_name="" if payer else (old.payer.strip() or "Unknown payer")[:120],
            member_id=old.member_id,
            group_number=old.group_number,
            relationship=relationship,
            subscriber_last_name=name.last[:60],
            subscriber_first_name=name.first[:35],
            subscriber_middle_name=name.middle[:25],
            subscriber_suffix=name.suffix[:10],
            card_front=old.card_front.name if old.card_front else "",
            card_front_content_type=old.card_front_content_type,
            card_back=old.card_back.name if old.card_back else "",
            card_back_content_type=old.card_back_content_type,
        )
        if relationship == "18":
            coverage.subscriber_last_name = coverage.subscriber_last_name or patient.last_name[:60]
            coverage.subscriber_first_name = coverage.subscriber_first_name or patient.first_name[:35]
            coverage.subscriber_date_of_birth = patient.date_of_birth
            coverage.subscriber_sex = SEXES.get(patient.sex, "U")
            profile = PatientProfile.objects.filter(patient=patient).first()
            if profile is not None:
                coverage.subscriber_address_line1 = profile.address_line1[:55]
                coverage.subscriber_address_line2 = profile.address_line2[:55]
                coverage.subscriber_city = profile.city[:30]
                coverage.subscriber_state = profile.state.strip().upper()[:2]
                coverage.subscriber_postal_code = profile.postal_code.replace("-", "").strip()[:10]
        coverage.save()


class Migration(migrations.Migration):
    dependencies = [
        ("insurance", "0001_initial"),
        ("patients", "0002_profile"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
