"""Benchmark: the claim scrubber, interactively (one claim, as on every save) and in a batch.

Run (after `bin/test` or `bin/run` has set up .venv and the database):

    .venv/bin/python tests/perf/bench_scrub.py [--claims 5000] [--payers 50] [--interactive 300] [--quick]

Method: one benchmark practice (removed at the end) with a billing profile, `--payers` payers and
`--claims` claims of as many patients (2 lines and 2 diagnoses each, spread over the payers and a
fortnight of dates of service), written with bulk inserts. Then:
  * interactive: `scrub_claim` on `--interactive` claims picked at random, one at a time, each in
    its own transaction as a save would be (read, rules, findings replaced, counts stored): p50,
    p95 and max. Target: p95 under 100 ms.
  * batch: `scrub_claims` on all the claims at once (what submission does before writing the 837P),
    twice (the second replaces the first's findings): seconds, claims per second and the number
    of queries, which must not depend on the number of claims. The CPU time of this process is shown
    beside the elapsed time: on a shared machine the elapsed time moves with the others' load.
A tenth of the claims carry a problem (a modifier without its telehealth place, or an inactive
payer), so findings are written too. The ICD-10-CM rows the claims use are added to the public
code table when missing and removed again afterwards.
"""

import argparse
import datetime
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.django_env import (
    BENCH_SLUG_PREFIX,
    machine,
    parse_args,
    prepare_database,
    remove_bench_practices,
    setup_django,
)

setup_django()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from practica.audit.context import acting_as, command  # noqa: E402
from practica.claims.models import (  # noqa: E402
    BillingProfile,
    ChargeLine,
    Claim,
    ClaimLine,
    Encounter,
    ProcedureCode,
    ScrubFinding,
)
from practica.claims.scrubber import scrub_claim, scrub_claims  # noqa: E402
from practica.codesets.models import Icd10Code  # noqa: E402
from practica.core.tenancy import use_public_schema  # noqa: E402
from practica.insurance.models import Coverage, Payer  # noqa: E402
from practica.patients.models import Patient, PatientProfile  # noqa: E402
from practica.scheduling.models import Location, Provider  # noqa: E402
from practica.scheduling.validators import with_check_digit  # noqa: E402
from tenants.services import provision_practice  # noqa: E402

TODAY = datetime.date(2026, 3, 20)
DIAGNOSES = {"E11.9": "Type 2 diabetes mellitus without complications", "I10": "Essential hypertension"}
TARGET_P95_MS = 100.0


def add_diagnosis_codes() -> list[int]:
    """The two codes the claims use, in the public table: the ids of the rows added (to remove)."""
    added = []
    for code, description in DIAGNOSES.items():
        row, created = Icd10Code.objects.get_or_create(
            code=code,
            defaults={"compact": code.replace(".", ""), "description": description, "billable": True,
                      "category": code[:3], "edition": "benchmark"},
        )  # fmt: skip
        if created:
            added.append(row.pk)
    return added


def letters(number: int) -> str:
    """A number spelled in letters (names carry no digits): 0 -> A, 27 -> BB."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = chr(ord("A") + digit) + text
        if not number:
            return text.lower()


def make_claims(claims: int, payers: int) -> list[Claim]:
    BillingProfile.objects.create(
        legal_name="Bench Clinic LLC", group_npi=with_check_digit("123456789"), ein="123456789",
        taxonomy="207Q00000X", address_line1="1 Main St", city="Springfield", state="IL",
        postal_code="627041234", submitter_id="BENCH01", submitter_name="Bench Clinic",
        submitter_contact_name="Billing", receiver_id="CLEARHOUSE", receiver_name="Clearing House",
        isa_sender_id="BENCH01", isa_receiver_id="CLEARHOUSE",
    )  # fmt: skip
    payer_rows = Payer.objects.bulk_create(
        Payer(name=f"Bench payer {n}", payer_ids={"folder": f"BP{n:04d}"}, is_active=n % 10 != 9)
        for n in range(payers)
    )
    provider = Provider.objects.create(
        display_name="Dr Ada Able", first_name="Ada", last_name="Able", npi=with_check_digit("100000001"),
        taxonomy="207Q00000X",
    )  # fmt: skip
    location = Location.objects.create(name="Main office", place_of_service="11")
    visit = ProcedureCode.objects.create(code="99213", label="Office visit", default_fee_cents=12000)
    injection = ProcedureCode.objects.create(code="96372", label="Injection", default_fee_cents=2500)
    patients = Patient.objects.bulk_create(
        Patient(
            first_name="Pat",
            last_name=f"Bench{letters(n)}",
            date_of_birth=datetime.date(1980, 1, 1) + datetime.timedelta(days=n % 9000),
            sex="F",
        )
        for n in range(claims)
    )
    PatientProfile.objects.bulk_create(
        PatientProfile(
            patient=p, address_line1="12 Oak Ave", city="Springfield", state="IL", postal_code="62704"
        )
        for p in patients
    )
    coverages = Coverage.objects.bulk_create(
        Coverage(patient=p, payer=payer_rows[n % payers], member_id=f"M{n:09d}",
                 subscriber_last_name=p.last_name, subscriber_first_name=p.first_name,
                 subscriber_date_of_birth=p.date_of_birth)
        for n, p in enumerate(patients)
    )  # fmt: skip
    encounters = Encounter.objects.bulk_create(
        Encounter(patient=p, provider=provider, rendering_provider=provider, location=location,
                  date_of_service=TODAY - datetime.timedelta(days=1 + n % 14), place_of_service="11",
                  status=Encounter.Status.BILLED)
        for n, p in enumerate(patients)
    )  # fmt: skip
    charges = ChargeLine.objects.bulk_create(
        ChargeLine(encounter=e, position=position, procedure=procedure, units=units, unit_fee_cents=fee,
                   charge_cents=fee * units, pointer_1=1, pointer_2=2 if position == 1 else None,
                   date_of_service=e.date_of_service, place_of_service="11")
        for e in encounters
        for position, procedure, units, fee in ((1, visit, 1, 12000), (2, injection, 2, 2500))
    )  # fmt: skip
    claim_rows = Claim.objects.bulk_create(
        Claim(encounter=e, patient=p, coverage=c, payer=payer_rows[n % len(payer_rows)],
              patient_control_number=f"BENCH{n:08d}", place_of_service="11",
              diagnosis_codes=list(DIAGNOSES), total_charge_cents=17000)
        for n, (e, p, c) in enumerate(zip(encounters, patients, coverages, strict=True))
    )  # fmt: skip
    ClaimLine.objects.bulk_create(
        ClaimLine(claim=claim, charge_line=charge, line_number=charge.position,
                  line_control_number=f"B{n:08d}L{charge.position}", procedure_code=charge.procedure.code,
                  units=charge.units, charge_cents=charge.charge_cents,
                  modifiers=["95"] if n % 10 == 3 and charge.position == 1 else [],
                  diagnosis_pointers=charge.diagnosis_pointers, date_of_service=charge.date_of_service,
                  place_of_service="11")
        for n, claim in enumerate(claim_rows)
        for charge in charges[2 * n : 2 * n + 2]
    )  # fmt: skip
    return claim_rows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=5000, help="claims in the practice (default 5000)")
    parser.add_argument("--payers", type=int, default=50, help="payers they go to (default 50)")
    parser.add_argument(
        "--interactive", type=int, default=300, help="single-claim scrubs timed (default 300)"
    )
    args = parse_args(parser, quick={"claims": 60, "payers": 5, "interactive": 10})

    print(f"Claim scrubber benchmark: {machine()}")
    print(f"{args.claims} claims (2 lines, 2 diagnoses each), {args.payers} payers")
    prepare_database()
    use_public_schema()
    added_codes = add_diagnosis_codes()
    practice = provision_practice(
        name="Benchmark Scrub", slug=f"{BENCH_SLUG_PREFIX}scrub-{uuid.uuid4().hex[:8]}", plan=None
    )
    try:
        with tenant_context(practice), acting_as(command("bench_scrub")):
            started = time.perf_counter()
            claims = make_claims(args.claims, args.payers)
            print(f"  data written in {time.perf_counter() - started:.1f} s")
            run(claims, args.interactive)
    finally:
        use_public_schema()
        Icd10Code.objects.filter(pk__in=added_codes).delete()
        removed = remove_bench_practices()
        print(f"Removed {removed} benchmark practice(s) and their schemas.")


def run(claims: list[Claim], interactive: int) -> None:
    picker = random.Random(12)
    scrub_claim(claims[0], today=TODAY)  # warm up: imports, the first queries' plans
    seconds = []
    for claim in picker.sample(claims, min(interactive, len(claims))):
        start = time.perf_counter()
        scrub_claim(claim, today=TODAY)
        seconds.append(time.perf_counter() - start)
    p95 = percentile(seconds, 0.95) * 1000
    print(
        f"  interactive (scrub_claim, {len(seconds)} claims): p50 {statistics.median(seconds) * 1000:.1f} ms"
        f"   p95 {p95:.1f} ms   max {max(seconds) * 1000:.1f} ms"
        f"   (target p95 < {TARGET_P95_MS:.0f} ms: {'met' if p95 < TARGET_P95_MS else 'NOT met'})"
    )
    for round_number in (1, 2):
        with CaptureQueriesContext(connection) as queries:
            start, cpu = time.perf_counter(), time.process_time()
            results = scrub_claims(claims, today=TODAY)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        with_errors = sum(1 for r in results if r.errors)
        print(
            f"  batch {round_number} (scrub_claims, {len(claims)} claims): {elapsed:.2f} s"
            f" ({cpu:.2f} s CPU here)"
            f"   {len(claims) / elapsed:,.0f} claims/s   {len(queries.captured_queries)} queries"
            f"   {with_errors} claims with errors, {ScrubFinding.objects.count()} findings stored"
        )


if __name__ == "__main__":
    main()
