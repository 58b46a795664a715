"""CMS place-of-service codes the practices of this product use, with our own short labels."""

# (code, label, telehealth)
PLACES_OF_SERVICE: list[tuple[str, str, bool]] = [
    ("02", "Telehealth, patient not at home", True),
    ("10", "Telehealth, patient at home", True),
    ("03", "School", False),
    ("04", "Homeless shelter", False),
    ("11", "Office", False),
    ("12", "Patient's home", False),
    ("13", "Assisted living facility", False),
    ("15", "Mobile unit", False),
    ("17", "Walk-in retail clinic", False),
    ("19", "Hospital outpatient, off campus", False),
    ("20", "Urgent care facility", False),
    ("21", "Hospital inpatient", False),
    ("22", "Hospital outpatient, on campus", False),
    ("23", "Hospital emergency room", False),
    ("24", "Ambulatory surgical center", False),
    ("31", "Skilled nursing facility", False),
    ("32", "Nursing facility", False),
    ("33", "Custodial care facility", False),
    ("49", "Independent clinic", False),
    ("50", "Federally qualified health center", False),
    ("53", "Community mental health center", False),
    ("57", "Non-residential substance use treatment", False),
    ("71", "Public health clinic", False),
    ("72", "Rural health clinic", False),
    ("81", "Independent laboratory", False),
    ("99", "Other place of service", False),
]
TELEHEALTH_PLACES = frozenset(code for code, _, telehealth in PLACES_OF_SERVICE if telehealth)
