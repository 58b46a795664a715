"""The back office's navigation, grouped by job: each area lists the pages a role may use (the
same capabilities the views check), and the area and page being shown are marked. A page joins the
menu with one line here; an area none of whose pages the role may use is not shown."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from practica.accounts.roles import Capability, role_can

C = Capability


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    capability: Capability
    # A second capability that also opens the page (the view's own `capability_required` takes either).
    or_capability: Capability | None = None

    def usable_by(self, role: str | None) -> bool:
        return role_can(role, self.capability) or (
            self.or_capability is not None and role_can(role, self.or_capability)
        )


# (area, its pages); an area's first page the role may use is where the area's name leads.
AREAS: list[tuple[str, list[Link]]] = [
    (
        "Schedule",
        [
            Link("Today", "today", C.VIEW_SCHEDULE),
            Link("Calendar", "calendar", C.VIEW_SCHEDULE),
            Link("Book", "book", C.BOOK_APPOINTMENTS),
            Link("Waitlist", "waitlist", C.VIEW_SCHEDULE),
        ],
    ),
    (
        "Patients",
        [
            Link("Patients", "patient_list", C.VIEW_PATIENTS),
            Link("Intake review", "intake:review_queue", C.VIEW_PATIENTS),
            Link("Registrations", "portal:staff_registrations", C.VIEW_PATIENTS),
        ],
    ),
    (
        "Messages",
        [
            Link("Inbox", "messaging_inbox", C.VIEW_PATIENTS),
            Link("Delivery log", "notification_log", C.VIEW_SCHEDULE),
        ],
    ),
    (
        "Billing",
        [
            Link("Patient billing", "billing_home", C.VIEW_BILLING),
            Link("Statements", "statements:run_list", C.VIEW_BILLING),
            Link("Charges to review", "claims:charges", C.CODE_CHARGES),
            Link("Claims", "claims:claim_list", C.SUBMIT_CLAIMS),
            Link("Ready to send", "claims:ready", C.SUBMIT_CLAIMS),
            Link("Submissions", "claims:submissions", C.SUBMIT_CLAIMS),
            Link("Remittance", "remittance:home", C.POST_REMITTANCE),
            Link("Denials", "denials:queue", C.SUBMIT_CLAIMS),
        ],
    ),
    (
        "Reports",
        [
            Link("Daily payments", "billing_daily_report", C.VIEW_BILLING, C.TAKE_PAYMENTS),
            Link("Receivables by age", "statements:aging", C.VIEW_BILLING),
            Link("Audit trail", "audit_log", C.VIEW_AUDIT),
        ],
    ),
    (
        "Settings",
        [
            Link("Practice setup", "setup_overview", C.VIEW_SCHEDULE),
            Link("Intake forms", "intake:packet_list", C.MANAGE_SETUP),
            Link("Reminders", "notification_settings", C.MANAGE_SETUP),
            Link("Billing setup", "claims:setup", C.MANAGE_BILLING_SETUP),
            Link("Staff", "staff_list", C.INVITE_STAFF),
            Link("Security", "security_settings", C.MANAGE_PRACTICE),
            Link("Portal branding", "portal:staff_branding", C.MANAGE_PRACTICE),
        ],
    ),
]


@dataclass(frozen=True)
class ShownLink:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class ShownArea:
    label: str
    url: str
    current: bool
    links: list[ShownLink]


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # a page not in this URLconf
        return None


def menu_for(role: str | None, path: str) -> list[ShownArea]:
    """The areas `role` may use, their pages, and which are current for `path`: the page whose
    address is the longest beginning of `path` (so a patient's chart is under Patients, a claim
    under Billing, the billing setup under Settings)."""
    found: list[tuple[str, list[tuple[str, str]]]] = []
    for area, links in AREAS:
        usable = [
            (link.label, url)
            for link in links
            if link.usable_by(role) and (url := _url(link.url_name)) is not None
        ]
        if usable:
            found.append((area, usable))
    matching = [url for _area, links in found for _label, url in links if path.startswith(url)]
    current = max(matching, key=len, default=None)
    return [
        ShownArea(
            label=area,
            url=links[0][1],
            current=any(url == current for _label, url in links),
            links=[ShownLink(label, url, url == current) for label, url in links],
        )
        for area, links in found
    ]
