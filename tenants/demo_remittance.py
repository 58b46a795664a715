"""The demo practices' remittances: the clean claims of the demo's older visits are made ready and
submitted through the practice's clearinghouse like any other, then each demo payer "answers" with
an 835 imported through the same path as a clearinghouse's file. Most claims are paid (80% of each
line, 15% contractual, 5% coinsurance for the patient); each payer denies one claim for a missing
authorization, so the denials queue has work. The newest visits' claims stay submitted and unpaid.

The 835s are written here because no payer can run beside the demo: they are demo data only,
never used by the product, and read back by the product's own 835 reader and posting.
"""

import datetime
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.utils import timezone

from practica.claims.lifecycle import transition_claims
from practica.claims.models import Claim, ClaimLine, ClaimStatus
from practica.claims.submission import submit_ready_claims
from practica.insurance.models import Payer
from practica.remittance.models import RemittanceFile
from practica.remittance.services import import_remittance

UNPAID_NEWEST_DAYS = 2  # visits this recent are still waiting for the payer


def seed_remittances(slug: str, name: str, zone_name: str) -> list[str]:
    """Once per practice: submit the older clean claims and post each payer's 835 for them.
    Returns what could not be sent (the demo's own set-up is wrong if anything is)."""
    if RemittanceFile.objects.exists():
        return []
    zone = ZoneInfo(zone_name)
    now = timezone.now()
    drafts = list(Claim.objects.filter(status=ClaimStatus.DRAFT, error_count=0).order_by("pk"))
    if drafts:
        transition_claims(drafts, ClaimStatus.READY)
    problems = submit_ready_claims(now=now, zone=zone).failures
    answered_before = timezone.localdate(now, timezone=zone) - datetime.timedelta(days=UNPAID_NEWEST_DAYS)
    submitted = (
        Claim.objects.filter(status=ClaimStatus.SUBMITTED, encounter__date_of_service__lt=answered_before)
        .select_related("payer", "patient", "coverage")
        .order_by("payer__name", "pk")
    )
    by_payer: dict[Payer, list[Claim]] = {}
    for claim in submitted:
        by_payer.setdefault(claim.payer, []).append(claim)
    for number, (payer, claims) in enumerate(by_payer.items(), start=1):
        text = _payer_835(
            payer, claims, practice_name=name, sender=slug.upper(), paid_on=now.date(), number=number
        )
        import_remittance(
            f"{slug}-{payer.name.lower().replace(' ', '-')}.835",
            text.encode(),
            source=RemittanceFile.Source.DEMO,
        )
    return problems


def _filing_code(payer: Payer) -> str:
    """The 835's own code list (CLP06) is not the 837's: Medicare Part B is MB, the rest a PPO here."""
    return "MB" if payer.claim_filing_indicator == "MB" else "12"


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _payer_835(
    payer: Payer,
    claims: Sequence[Claim],
    *,
    practice_name: str,
    sender: str,
    paid_on: datetime.date,
    number: int,
) -> str:
    lines: dict[object, list[ClaimLine]] = {}
    for line in ClaimLine.objects.filter(claim__in=claims).order_by("claim_id", "line_number"):
        lines.setdefault(line.claim_id, []).append(line)
    payer_id = str(next(iter(payer.payer_ids.values()), "DEMO"))
    body: list[str] = []
    total = 0
    for n, claim in enumerate(claims, start=1):
        denied = n == len(claims) and len(claims) > 1  # each payer denies its last claim
        services: list[str] = []
        paid = patient = 0
        for line in lines.get(claim.pk, []):
            if denied:
                services += [
                    f"SVC*HC:{line.procedure_code}*{_amount(line.charge_cents)}*0**{line.units}",
                    f"DTM*472*{line.date_of_service:%Y%m%d}",
                    f"CAS*CO*197*{_amount(line.charge_cents)}",
                    f"REF*6R*{line.line_control_number}",
                    "LQ*HE*M62",
                ]
                continue
            share = line.charge_cents * 5 // 100
            contractual = line.charge_cents * 15 // 100
            line_paid = line.charge_cents - share - contractual
            paid += line_paid
            patient += share
            services += [
                f"SVC*HC:{line.procedure_code}*{_amount(line.charge_cents)}*{_amount(line_paid)}**{line.units}",
                f"DTM*472*{line.date_of_service:%Y%m%d}",
                f"CAS*CO*45*{_amount(contractual)}",
                f"CAS*PR*2*{_amount(share)}",
                f"REF*6R*{line.line_control_number}",
            ]
        total += paid
        charge = sum(line.charge_cents for line in lines.get(claim.pk, []))
        body += [
            f"LX*{n}",
            f"CLP*{claim.patient_control_number}*{4 if denied else 1}*{_amount(charge)}*{_amount(paid)}*"
            f"{_amount(patient)}*{_filing_code(payer)}*DEMO{number:02d}{n:06d}*11*1",
            f"NM1*QC*1*{claim.patient.last_name.upper()}*{claim.patient.first_name.upper()}****MI*"
            f"{claim.coverage.member_id}",
            *services,
        ]
    day = f"{paid_on:%Y%m%d}"
    segments = [
        "ST*835*0001",
        f"BPR*I*{_amount(total)}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*{day}",
        f"TRN*1*DEMO{sender[:8]}{number:04d}*1512345678",
        f"DTM*405*{day}",
        f"N1*PR*{payer.name.upper()}*XV*{payer_id}",
        "N3*1 PLAN WAY",
        "N4*SPRINGFIELD*IL*627041234",
        "PER*BL*PROVIDER SERVICES*TE*8005550100",
        f"N1*PE*{practice_name.upper()}*XX*1234567893",
        *body,
    ]
    control = f"{number:09d}"
    return (
        f"ISA*00*          *00*          *ZZ*{payer_id:<15}*ZZ*{sender[:15]:<15}*{paid_on:%y%m%d}*1200*^*"
        f"00501*{control}*0*T*:~GS*HP*{payer_id}*{sender}*{day}*1200*{number}*X*005010X221A1~"
        + "~".join(segments)
        + f"~SE*{len(segments) + 1}*0001~GE*1*{number}~IEA*1*{control}~"
    )
