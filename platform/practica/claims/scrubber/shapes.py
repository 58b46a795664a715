"""Shapes of identifiers and addresses the rules check (kept apart so each family reads plainly)."""

import re

# The states, the District of Columbia, the territories and the military "states" USPS accepts.
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM FM MH PW AA AE AP"
)
US_STATES = frozenset(_STATE_CODES.split())
ZIP = re.compile(r"\d{5}(\d{4})?")
ZIP_PLUS_FOUR = re.compile(r"\d{5}(?!0000)\d{4}")
# "PO Box 12", "P.O. Box", "Post Office Box", "POB 12", "Box 12", "Lockbox".
PO_BOX = re.compile(
    r"\b(?:p\s*\.?\s*o\s*\.?\s*b(?:ox)?|post\s+office\s+box|lock\s*box|box)\s*#?\s*\d", re.IGNORECASE
)
TAXONOMY = re.compile(r"[0-9A-Z]{9}X")
# CPT: 4 digits and a digit, or F (category II), T (category III), U (PLA); HCPCS Level II: a
# letter and 4 digits.
PROCEDURE = re.compile(r"\d{4}[0-9FTU]|[A-Z]\d{4}")
MODIFIER = re.compile(r"[0-9A-Z]{2}")
# The Medicare Beneficiary Identifier: 11 characters, S L O I B Z never used as letters.
_MBI_LETTER = "AC-HJKMNP-RT-Y"
MBI = re.compile(
    rf"[1-9][{_MBI_LETTER}][{_MBI_LETTER}0-9]\d[{_MBI_LETTER}][{_MBI_LETTER}0-9]\d[{_MBI_LETTER}]{{2}}\d{{2}}"
)
MEMBER_ID = re.compile(r"[0-9A-Za-z-]{2,80}")
PAYER_ID = re.compile(r"[0-9A-Za-z]{2,80}")
PERSON_NAME = re.compile(r"[A-Za-z][A-Za-z' .-]*")
# Telehealth: CMS's modifiers for audio-video (95) and the older GT; the places 02 and 10.
TELEHEALTH_MODIFIERS = frozenset({"95", "GT"})
