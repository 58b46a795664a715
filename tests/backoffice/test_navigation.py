"""The back office's navigation: six areas grouped by job, only what the role may open, the
current area and page marked."""

import re

import pytest
from django_tenants.utils import tenant_context

from practica.accounts.navigation import AREAS, menu_for
from practica.accounts.roles import Role
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

MAIN = re.compile(r'<nav class="menu" aria-label="Main">(.*?)</nav>', re.S)


def _areas(html: str) -> list[str]:
    found = MAIN.search(html)
    assert found is not None
    return re.findall(r">([^<>]+)</a>", found.group(1))


@pytest.mark.parametrize(
    ("role", "areas"),
    [
        (Role.OWNER, ["Schedule", "Patients", "Messages", "Billing", "Reports", "Settings"]),
        # The front desk takes payments, so it has the day's close under Reports.
        (Role.FRONT_DESK, ["Schedule", "Patients", "Messages", "Reports", "Settings"]),
        (Role.CLINICIAN, ["Schedule", "Patients", "Messages", "Billing", "Settings"]),
        (Role.BILLER, ["Schedule", "Patients", "Messages", "Billing", "Reports", "Settings"]),
    ],
)
def test_each_role_sees_the_areas_it_may_use(practice_a: Practice, role: str, areas: list[str]) -> None:
    client = signed_in_client(staff(practice_a, role), practice_a)
    assert _areas(client.get("/").content.decode()) == areas
    for area in menu_for(role, "/"):
        for link in area.links:
            # Nothing it may not open (a page may send on to set-up first).
            assert client.get(link.url).status_code in (200, 302), (role, link.url)


def test_the_current_area_and_page_are_marked(practice_a: Practice) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    with tenant_context(practice_a):
        patient = PatientFactory.create()
    for path, area, page in [
        (f"/patients/{patient.pk}/", "Patients", "Patients"),
        ("/claims/setup/", "Settings", "Billing setup"),
        ("/claims/charges/", "Billing", "Charges to review"),
        ("/billing/reports/daily/", "Reports", "Daily payments"),
        ("/denials/", "Billing", "Denials"),
    ]:
        html = owner.get(path).content.decode()
        assert re.search(rf'class="current" aria-current="true">{area}</a>', html), path
        assert re.search(rf'class="current" aria-current="page">{page}</a>', html), path
        assert html.count('aria-current="true"') == 1, path


def test_every_area_page_is_named_once() -> None:
    names = [link.url_name for _area, links in AREAS for link in links]
    assert len(names) == len(set(names))
    assert [area for area, _links in AREAS] == [
        "Schedule",
        "Patients",
        "Messages",
        "Billing",
        "Reports",
        "Settings",
    ]


def test_the_staff_invitation_offers_the_least_privileged_role_first(practice_a: Practice) -> None:
    from practica.accounts.roles import CAPABILITIES

    html = signed_in_client(staff(practice_a, Role.OWNER), practice_a).get("/staff/").content.decode()
    invite = html[html.index("Invite someone") :]
    chosen = re.search(r'<option value="(\w+)" selected>', invite)
    assert chosen is not None and chosen.group(1) == Role.FRONT_DESK
    assert len(CAPABILITIES[Role.FRONT_DESK]) == min(len(caps) for caps in CAPABILITIES.values())
