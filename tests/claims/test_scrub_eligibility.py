"""CLM-COV-001 reads the payer's latest eligibility answer for the coverage on the date of service:
inactive or not found is an error on the claim; active (or a later active answer) is not."""

import datetime

from practica.claims.scrubber import scrub_claim
from practica.claims.services import create_claim_from_encounter
from practica.eligibility import services as eligibility
from tests.claims.conftest import DOS, Billing
from tests.claims.test_claims import coded_encounter

TODAY = DOS + datetime.timedelta(days=10)
ASKED = datetime.datetime(2026, 3, 1, 23, 0, tzinfo=datetime.UTC)
INACTIVE_271 = (
    "ISA*00*          *00*          *ZZ*CH             *ZZ*PRACTICA       "
    "*260301*2300*^*00501*000000001*0*T*:~"
    "GS*HB*CH*PRACTICA*20260301*2300*1*X*005010X279A1~ST*271*0001*005010X279A1~"
    "BHT*0022*11*R1*20260301*2300~HL*1**20*1~NM1*PR*2*LAKEVIEW*****PI*1~HL*2*1*21*1~"
    "NM1*1P*2*CLINIC*****XX*1234567893~HL*3*2*22*0~NM1*IL*1*DOE*JO****MI*M1~EB*6**30~"
    "SE*10*0001~GE*1*1~IEA*1*000000001~"
)


def cov001(billing: Billing) -> list[str]:
    claim = create_claim_from_encounter(coded_encounter(billing), today=TODAY)
    return [f.message for f in scrub_claim(claim, today=TODAY).findings if f.rule_id == "CLM-COV-001"]


def test_an_inactive_answer_for_the_date_of_service_is_an_error(billing: Billing) -> None:
    check = eligibility.begin_check(billing.coverage, service_date=DOS, now=ASKED)
    assert eligibility.record_response(check, INACTIVE_271, now=ASKED).status == "inactive"
    assert cov001(billing) == [
        "Lakeview Health answered on 03/01/2026 that this coverage was inactive on 03/02/2026; "
        "update the patient's insurance or bill the patient."
    ]


def test_no_answer_or_an_answer_for_another_day_is_no_finding(billing: Billing) -> None:
    other_day = DOS + datetime.timedelta(days=1)
    check = eligibility.begin_check(billing.coverage, service_date=other_day, now=ASKED)
    eligibility.record_response(check, INACTIVE_271, now=ASKED)
    assert cov001(billing) == []
