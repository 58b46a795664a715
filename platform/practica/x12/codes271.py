"""What the codes of a 271 (005010X279A1) mean, in Practica's own words.

`REJECTIONS` maps AAA03 (the reason an inquiry was refused) to what it means and the next step for
the front desk or the patient; `FOLLOW_UP` is AAA04. `BENEFITS` is EB01, `SERVICE_TYPES` a subset
of EB03/EQ01 (those a practice asks about and a person reads), `TIME_PERIODS` EB06 and `NETWORK`
EB12.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RejectReason:
    meaning: str
    next_step: str
    #: "not_found": the payer does not know this person under this policy (the desk fixes the
    #: coverage or asks the patient); "retry": the payer or the link is down, try again later;
    #: "fix": something the practice sent is wrong.
    kind: str


_NOT_FOUND_STEP = (
    "Check the member ID, name and date of birth against the patient's insurance card; if they "
    "match, ask the patient for their current insurance."
)
_RETRY_STEP = "The payer could not answer now; the check will be tried again. Nothing to change."

REJECTIONS: dict[str, RejectReason] = {
    "04": RejectReason(
        "authorized quantity exceeded",
        "Too many inquiries for this patient today; check again tomorrow.",
        "retry",
    ),
    "15": RejectReason(
        "required data missing",
        "Complete the coverage (member ID, subscriber name, date of birth) and check again.",
        "fix",
    ),
    "41": RejectReason(
        "authorization or access restrictions",
        "The practice is not allowed to ask this payer; call the payer to confirm coverage.",
        "fix",
    ),
    "42": RejectReason("the payer cannot respond at this time", _RETRY_STEP, "retry"),
    "43": RejectReason(
        "invalid or missing provider identification",
        "Check the provider's NPI in the billing setup; the payer may need the practice enrolled.",
        "fix",
    ),
    "44": RejectReason(
        "invalid or missing provider name",
        "Check the practice's name in the billing setup against the payer's enrollment.",
        "fix",
    ),
    "45": RejectReason(
        "invalid or missing provider specialty", "Check the provider's taxonomy in the billing setup.", "fix"
    ),
    "47": RejectReason(
        "invalid or missing provider state", "Check the practice's address in the billing setup.", "fix"
    ),
    "48": RejectReason(
        "invalid or missing referring provider", "Add the referring provider and check again.", "fix"
    ),
    "49": RejectReason(
        "provider is not the primary care physician",
        "The plan names another primary care physician; the patient may need a referral.",
        "fix",
    ),
    "50": RejectReason(
        "provider not eligible for inquiries",
        "The practice is not enrolled for eligibility inquiries with this payer: enroll with the payer "
        "(or clearinghouse), and call the payer meanwhile.",
        "fix",
    ),
    "51": RejectReason(
        "provider not on file",
        "The payer does not know this provider: check the NPI, or enroll with the payer.",
        "fix",
    ),
    "52": RejectReason(
        "service dates not within provider plan enrollment",
        "The provider is not enrolled with this plan on that date; call the payer.",
        "fix",
    ),
    "53": RejectReason(
        "inquired benefit inconsistent with provider type",
        "Ask about the general plan coverage only, or call the payer.",
        "fix",
    ),
    "54": RejectReason(
        "inappropriate product or service id qualifier",
        "Ask about the general plan coverage only, or call the payer.",
        "fix",
    ),
    "55": RejectReason(
        "inappropriate product or service id",
        "Ask about the general plan coverage only, or call the payer.",
        "fix",
    ),
    "56": RejectReason("inappropriate date", "Check the appointment date and check again.", "fix"),
    "57": RejectReason(
        "invalid or missing date of service", "Check the appointment date and check again.", "fix"
    ),
    "58": RejectReason(
        "invalid or missing date of birth",
        "Check the patient's and the subscriber's date of birth.",
        "not_found",
    ),
    "60": RejectReason(
        "date of birth follows the date of service", "Check the patient's date of birth.", "not_found"
    ),
    "61": RejectReason(
        "date of death precedes the date of service",
        "The payer records a date of death: check the patient's identity and coverage.",
        "not_found",
    ),
    "62": RejectReason(
        "date of service not within the allowable inquiry period",
        "The payer only answers for dates near today: check again closer to the visit.",
        "retry",
    ),
    "63": RejectReason(
        "date of service in the future",
        "The payer only answers for dates near today: check again closer to the visit.",
        "retry",
    ),
    "64": RejectReason("invalid or missing patient id", _NOT_FOUND_STEP, "not_found"),
    "65": RejectReason("invalid or missing patient name", _NOT_FOUND_STEP, "not_found"),
    "66": RejectReason(
        "invalid or missing patient gender", "Check the patient's sex on the coverage.", "not_found"
    ),
    "67": RejectReason("patient not found", _NOT_FOUND_STEP, "not_found"),
    "68": RejectReason(
        "duplicate patient id", "The payer has two people with this id: call the payer.", "not_found"
    ),
    "69": RejectReason(
        "inconsistent with the patient's age", "Check the patient's date of birth.", "not_found"
    ),
    "70": RejectReason(
        "inconsistent with the patient's gender", "Check the patient's sex on the coverage.", "not_found"
    ),
    "71": RejectReason(
        "birth date does not match the payer's",
        "Check the date of birth against the insurance card.",
        "not_found",
    ),
    "72": RejectReason("invalid or missing member id", _NOT_FOUND_STEP, "not_found"),
    "73": RejectReason(
        "invalid or missing subscriber name",
        "Check the subscriber's name exactly as on the insurance card.",
        "not_found",
    ),
    "74": RejectReason(
        "invalid or missing subscriber gender", "Check the subscriber's sex on the coverage.", "not_found"
    ),
    "75": RejectReason("subscriber not found", _NOT_FOUND_STEP, "not_found"),
    "76": RejectReason(
        "duplicate subscriber id", "The payer has two people with this id: call the payer.", "not_found"
    ),
    "77": RejectReason(
        "subscriber found, patient not found",
        "The patient is not on the subscriber's policy: check the relationship and the patient's "
        "details, or ask for their own insurance.",
        "not_found",
    ),
    "78": RejectReason(
        "subscriber not in the group or plan identified",
        "Check the group number against the card, or ask the patient for their current insurance.",
        "not_found",
    ),
    "79": RejectReason(
        "invalid participant identification",
        "The payer id may be wrong: check the payer in the billing setup.",
        "fix",
    ),
    "80": RejectReason("no response received, transaction terminated", _RETRY_STEP, "retry"),
    "97": RejectReason(
        "invalid or missing provider address", "Check the practice's address in the billing setup.", "fix"
    ),
    "T4": RejectReason(
        "payer name or identifier missing", "Check the payer's id in the billing setup.", "fix"
    ),
}

UNKNOWN_REJECTION = RejectReason(
    "a reason Practica does not know", "Call the payer to confirm coverage before the visit.", "fix"
)

FOLLOW_UP: dict[str, str] = {
    "C": "correct and resubmit",
    "N": "resubmission not allowed",
    "P": "resubmit the original",
    "R": "resubmission allowed",
    "S": "do not resubmit; the payer asked a third party",
    "W": "wait 30 days and resubmit",
    "X": "wait 10 days and resubmit",
    "Y": "do not resubmit; the payer will answer later",
}

#: EB01.
BENEFITS: dict[str, str] = {
    "1": "active coverage",
    "2": "active, full risk capitation",
    "3": "active, services capitated",
    "4": "active, services capitated to the primary care physician",
    "5": "active, pending investigation",
    "6": "inactive",
    "7": "inactive, pending eligibility update",
    "8": "inactive, pending investigation",
    "A": "coinsurance",
    "B": "copay",
    "C": "deductible",
    "CB": "coverage basis",
    "D": "benefit description",
    "E": "exclusions",
    "F": "limitations",
    "G": "out of pocket (stop loss)",
    "H": "unlimited",
    "I": "non-covered",
    "J": "cost containment",
    "K": "reserve",
    "L": "primary care provider",
    "M": "pre-existing condition",
    "MC": "managed care coordinator",
    "N": "services restricted to the following provider",
    "O": "not deemed a medical necessity",
    "P": "benefit disclaimer",
    "Q": "second surgical opinion required",
    "R": "other or additional payer",
    "S": "prior year history",
    "T": "cards reported lost or stolen",
    "U": "contact the following entity for eligibility or benefits",
    "V": "cannot process",
    "W": "other source of data",
    "X": "health care facility",
    "Y": "spend down",
}
ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})

#: EB03 / EQ01: the service types a practice asks about and people read.
SERVICE_TYPES: dict[str, str] = {
    "1": "medical care",
    "3": "consultation",
    "4": "diagnostic X-ray",
    "5": "diagnostic lab",
    "30": "health benefit plan coverage",
    "33": "chiropractic",
    "35": "dental care",
    "42": "home health care",
    "47": "hospital",
    "48": "hospital inpatient",
    "50": "hospital outpatient",
    "73": "diagnostic medical",
    "80": "immunizations",
    "81": "routine physical",
    "86": "emergency services",
    "88": "pharmacy",
    "98": "professional (physician) visit, office",
    "A4": "psychiatric",
    "A6": "psychotherapy",
    "AD": "occupational therapy",
    "AE": "physical medicine",
    "AL": "vision (optometry)",
    "BY": "physician visit, office: well",
    "BZ": "physician visit, office: sick",
    "MH": "mental health",
    "PT": "physical therapy",
    "UC": "urgent care",
}

#: EB06.
TIME_PERIODS: dict[str, str] = {
    "6": "hour",
    "7": "day",
    "13": "24 hours",
    "21": "years",
    "22": "service year",
    "23": "calendar year",
    "24": "year to date",
    "25": "contract",
    "26": "episode",
    "27": "visit",
    "28": "outlier",
    "29": "remaining",
    "30": "exceeded",
    "31": "not exceeded",
    "32": "lifetime",
    "33": "lifetime remaining",
    "34": "month",
    "35": "week",
    "36": "admission",
}
#: EB06 values that say the amount is what is left, not the whole.
REMAINING_PERIODS = frozenset({"29", "33"})

#: EB12.
NETWORK: dict[str, str] = {"Y": "in network", "N": "out of network", "U": "unknown", "W": "not applicable"}

#: NM101 of a 2120 loop: who the benefit names.
ENTITIES: dict[str, str] = {
    "13": "Contracted service provider",
    "1I": "Preferred provider organization",
    "7C": "Place of occurrence",
    "FA": "Facility",
    "GP": "Gateway provider",
    "P3": "Primary care provider",
    "PR": "Payer",
    "PRP": "Primary payer",
    "SEP": "Secondary payer",
    "TTP": "Tertiary payer",
    "VN": "Vendor",
    "X3": "Utilization management organization",
    "Y2": "Managed care organization",
}
