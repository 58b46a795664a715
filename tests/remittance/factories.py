"""Claims made from an 835's own data (so a payer's example file can be posted to the cent), and
small 835 texts written for a test."""

import datetime

from practica.claims.models import ChargeLine, Claim, ClaimLine, Encounter, ProcedureCode
from practica.insurance.models import Coverage, Payer
from practica.patients.models import Patient
from practica.scheduling.models import Location, Provider
from practica.x12.remit835 import read_835
from tests.claims.factories import BillingProfileFactory
from tests.factories import LocationFactory, ProviderFactory


def _place() -> tuple[Location, Provider]:
    location = Location.objects.first() or LocationFactory.create(place_of_service="11")
    provider = Provider.objects.first() or ProviderFactory.create()
    return location, provider


def claims_from_835(text: str, *, status: str = "submitted") -> list[Claim]:
    """One claim per patient control number of the file (the first claim payment naming it wins),
    its lines the file's service lines as sent (SVC06 when given, else SVC01; charge SVC02; date
    of the line or the claim), or one line of the claim's charge when the file gives none."""
    BillingProfileFactory.create()
    location, provider = _place()
    made: dict[str, Claim] = {}
    for remittance in read_835(text).remittances:
        payer, _ = Payer.objects.get_or_create(
            name=remittance.payer_name or "Payer",
            defaults={"payer_ids": {"folder": remittance.payer_identifier}},
        )
        for clp in remittance.claims:
            if clp.patient_control_number in made:
                continue
            day = clp.statement_from or remittance.payment_date or datetime.date(2026, 3, 2)
            patient = Patient.objects.create(
                first_name=clp.patient_first_name.title() or "Pat",
                last_name=clp.patient_last_name.title() or "Doe",
                date_of_birth=datetime.date(1970, 1, 1),
                sex="U",
            )
            coverage = Coverage.objects.create(patient=patient, payer=payer, member_id=clp.member_id or "M1")
            encounter = Encounter.objects.create(
                patient=patient,
                provider=provider,
                rendering_provider=provider,
                location=location,
                date_of_service=day,
                place_of_service="11",
                status=Encounter.Status.BILLED,
            )
            claim = Claim.objects.create(
                encounter=encounter,
                patient=patient,
                coverage=coverage,
                payer=payer,
                patient_control_number=clp.patient_control_number,
                status=status,
                place_of_service="11",
                total_charge_cents=clp.charge_cents,
            )
            lines = [
                (s.original_procedure, s.original_modifiers, s.charge_cents, s.date_of_service or day)
                for s in clp.services
            ] or [("99213", (), clp.charge_cents, day)]
            for number, (code, modifiers, charge, on) in enumerate(lines, 1):
                procedure, _ = ProcedureCode.objects.get_or_create(
                    code=code[:5], defaults={"label": f"Procedure {code}", "default_fee_cents": charge}
                )
                mods = [*list(modifiers), "", "", "", ""]
                charge_line = ChargeLine.objects.create(
                    encounter=encounter,
                    position=number,
                    procedure=procedure,
                    units=1,
                    unit_fee_cents=charge,
                    charge_cents=charge,
                    modifier_1=mods[0],
                    modifier_2=mods[1],
                    modifier_3=mods[2],
                    modifier_4=mods[3],
                    date_of_service=on,
                    place_of_service="11",
                )
                ClaimLine.objects.create(
                    claim=claim,
                    charge_line=charge_line,
                    line_number=number,
                    line_control_number=f"{clp.patient_control_number[:20]}-{number}",
                    procedure_code=code[:5],
                    modifiers=list(modifiers),
                    units=1,
                    charge_cents=charge,
                    date_of_service=on,
                    place_of_service="11",
                )
            made[clp.patient_control_number] = claim
    return list(made.values())


def envelope(body: list[str], *, control: str = "000000905", st: str = "0001") -> str:
    """An 835 interchange around transaction-set body segments (BPR ... up to, not with, SE)."""
    segments = [f"ST*835*{st}", *body]
    return (
        "ISA*00*          *00*          *ZZ*PAYERID        *ZZ*PRACTICA       *261101*1200*^*00501*"
        f"{control}*0*T*:~GS*HP*PAYERID*PRACTICA*20261101*1200*905*X*005010X221A1~"
        + "~".join(segments)
        + f"~SE*{len(segments) + 1}*{st}~GE*1*905~IEA*1*{control}~"
    )


def simple_835(
    claims: list[tuple[str, int, int, list[tuple[str, int, int, str, list[tuple[str, str, int]]]]]],
    *,
    trace: str = "TRACE1",
    status: str = "1",
    total: int | None = None,
    plb: list[tuple[str, int]] | None = None,
    control: str = "000000905",
) -> str:
    """An 835 paying `claims`: (pcn, charge, paid, [(procedure, charge, paid, line control number,
    [(group, reason, amount)])]) in cents; BPR02 their payments less the PLB amounts unless `total`."""

    def amount(cents: int) -> str:
        return f"{cents / 100:.2f}"

    paid = sum(c[2] for c in claims) - sum(a for _, a in plb or [])
    body = [
        f"BPR*I*{amount(paid if total is None else total)}*C*ACH*CCP*01*999999999*DA*123456*1512345678"
        "**01*999988880*DA*98765*20261101",
        f"TRN*1*{trace}*1512345678",
        "DTM*405*20261101",
        "N1*PR*LAKEVIEW HEALTH*XV*LKV01",
        "N3*1 PLAN WAY",
        "N4*SPRINGFIELD*IL*627041234",
        "PER*BL*PROVIDER SERVICES*TE*8005550100",
        "N1*PE*ALPHA CLINIC*XX*1234567893",
        "LX*1",
    ]
    for pcn, charge, claim_paid, lines in claims:
        body.append(f"CLP*{pcn}*{status}*{amount(charge)}*{amount(claim_paid)}**12*PAYER{pcn}*11*1")
        body.append("NM1*QC*1*DOE*PAT****MI*M1")
        for procedure, line_charge, line_paid, control_number, adjustments in lines:
            body.append(f"SVC*HC:{procedure}*{amount(line_charge)}*{amount(line_paid)}**1")
            body.append("DTM*472*20260302")
            for group, reason, cents in adjustments:
                body.append(f"CAS*{group}*{reason}*{amount(cents)}")
            if control_number:
                body.append(f"REF*6R*{control_number}")
    for reason, cents in plb or []:
        body.append(f"PLB*1234567893*20261231*{reason}:REF1*{amount(cents)}")
    return envelope(body, control=control)


def era_for(claims: list[Claim], *, trace: str = "BENCH1", control: str = "000000907") -> str:
    """An 835 paying every claim given, line by line (REF*6R of each line): 80% of each line's
    charge paid, 15% contractual (CO-45), 5% patient coinsurance (PR-2). Three statements,
    whatever the number of claims."""
    lines: dict[object, list[ClaimLine]] = {}
    for line in ClaimLine.objects.filter(claim__in=claims).order_by("claim_id", "line_number"):
        lines.setdefault(line.claim_id, []).append(line)

    def amount(cents: int) -> str:
        return f"{cents // 100}.{cents % 100:02d}"

    body: list[str] = []
    total = 0
    for n, claim in enumerate(claims, 1):
        paid_lines = []
        claim_paid = 0
        for line in lines[claim.pk]:
            patient = line.charge_cents * 5 // 100
            contractual = line.charge_cents * 15 // 100
            paid = line.charge_cents - patient - contractual
            claim_paid += paid
            paid_lines += [
                f"SVC*HC:{line.procedure_code}*{amount(line.charge_cents)}*{amount(paid)}**{line.units}",
                f"DTM*472*{line.date_of_service:%Y%m%d}",
                f"CAS*CO*45*{amount(contractual)}",
                f"CAS*PR*2*{amount(patient)}",
                f"REF*6R*{line.line_control_number}",
            ]
        total += claim_paid
        charge = sum(line.charge_cents for line in lines[claim.pk])
        body += [
            f"LX*{n}",
            f"CLP*{claim.patient_control_number}*1*{amount(charge)}*{amount(claim_paid)}*"
            f"{amount(charge - claim_paid - charge * 15 // 100)}*12*PCN{n:08d}*11*1",
            "NM1*QC*1*DOE*PAT****MI*M1",
            *paid_lines,
        ]
    header = [
        f"BPR*I*{amount(total)}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20261101",
        f"TRN*1*{trace}*1512345678",
        "DTM*405*20261101",
        "N1*PR*HEALTH PLAN*XV*HP000",
        "N3*1 PLAN WAY",
        "N4*SPRINGFIELD*IL*627041234",
        "PER*BL*PROVIDER SERVICES*TE*8005550100",
        "N1*PE*ALPHA CLINIC*XX*1234567893",
    ]
    return envelope(header + body, control=control)
