import datetime
import re
from collections.abc import Callable
from typing import Any

from django.core import mail
from django.utils import timezone

from notifications.delivery import send_due
from portal.models import PortalAccount
from practica.scheduling.booking import book_appointment, cancel_appointment
from practica.scheduling.models import Appointment, WaitlistEntry, WaitlistOffer
from practica.scheduling.waitlist import claim_token, join_waitlist
from tenants.models import Practice
from tests.factories import Clinic, PatientFactory, ProviderFactory
from tests.portal.conftest import make_account, portal_client


def test_join_the_waitlist(clinic: Clinic, practice_a: Practice) -> None:
    account = make_account("wait@example.org")
    client = portal_client(account, practice_a)
    first, last = clinic.local(2, 0).date(), clinic.local(9, 0).date()
    response = client.post(
        "/portal/waitlist/",
        {"appointment_type": clinic.visit.pk, "provider": "", "earliest": first, "latest": last},
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(patient=account.patient)
    assert entry.provider is None
    assert entry.earliest == clinic.local(2, 0)
    assert entry.latest == clinic.local(10, 0)  # the whole last day, in the location's zone
    assert "On the waitlist" in client.get("/portal/").content.decode()


def test_waitlist_form_errors(clinic: Clinic, practice_a: Practice) -> None:
    client = portal_client(make_account("oops@example.org"), practice_a)
    response = client.post(
        "/portal/waitlist/",
        {
            "appointment_type": clinic.staff_only.pk,
            "earliest": clinic.local(5, 0).date(),
            "latest": clinic.local(2, 0).date(),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_appointment_type_error"' in html  # not bookable online: not a valid choice
    assert "Pick a day on or after the first day." in html
    assert not WaitlistEntry.objects.exists()


def offers_for_a_freed_slot(
    clinic: Clinic, waiting: list[PortalAccount], capture: Callable[..., Any]
) -> tuple[Appointment, list[str]]:
    """Patients wait; someone else's appointment is cancelled; the workers send the offer emails."""
    for account in waiting:
        join_waitlist(
            patient=account.patient,
            appointment_type=clinic.visit,
            earliest=clinic.local(1, 0),
            latest=clinic.local(8, 0),
        )
    freed = book_appointment(
        patient=PatientFactory.create(),
        appointment_type=clinic.visit,
        provider=clinic.provider,
        location=clinic.location,
        start=clinic.local(4, 11),
        source=Appointment.Source.STAFF,
    ).appointment
    with capture(execute=True):
        cancel_appointment(freed, by_patient=False, reason="Provider ill")
    assert mail.outbox == []  # outbox rows, sent by the notification workers
    send_due()
    # Only the offers (the cancelled patient's own notice aside).
    mail.outbox[:] = [m for m in mail.outbox if "/book/waitlist/" in str(m.body)]
    paths = [re.search(r"https?://[^/\s]+(/\S+)", str(m.body)).group(1) for m in mail.outbox]  # type: ignore[union-attr]
    return freed, paths


def test_first_claim_wins_and_the_others_are_told_it_is_gone(
    clinic: Clinic, practice_a: Practice, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    first, second = make_account("first@example.org"), make_account("second@example.org")
    freed, paths = offers_for_a_freed_slot(clinic, [first, second], django_capture_on_commit_callbacks)
    assert len(paths) == 2
    link_first = next(p for p, m in zip(paths, mail.outbox, strict=True) if m.to == ["first@example.org"])
    link_second = next(p for p, m in zip(paths, mail.outbox, strict=True) if m.to == ["second@example.org"])

    # The engine's email link leads to the portal's claim page.
    client_first = portal_client(first, practice_a)
    response = client_first.get(link_first)
    assert response.status_code == 302
    claim_first = response["Location"]
    assert claim_first.startswith("/portal/waitlist/claim/")
    page = client_first.get(claim_first).content.decode()
    assert "Claim this appointment" in page
    assert f"11:00 AM {clinic.local(4, 11).tzname()}" in page  # at the location, the zone named

    client_second = portal_client(second, practice_a)
    claim_second = client_second.get(link_second)["Location"]
    assert "Claim this appointment" in client_second.get(claim_second).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_first.post(claim_first)
    assert response.status_code == 302
    booked = Appointment.objects.get(patient=first.patient, status=Appointment.Status.BOOKED)
    assert booked.start == freed.start
    assert booked.source == Appointment.Source.PORTAL
    assert response["Location"] == f"/portal/appointments/{booked.pk}/"

    gone = client_second.get(claim_second).content.decode()
    assert "this slot is gone" in gone
    assert "Claim this appointment" not in gone
    response = client_second.post(claim_second)
    assert response.status_code == 409
    assert "this slot is gone" in response.content.decode()
    assert not Appointment.objects.filter(patient=second.patient).exists()


def test_an_expired_offer_says_so(
    clinic: Clinic, practice_a: Practice, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    late = make_account("late@example.org")
    offers_for_a_freed_slot(clinic, [late], django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get(entry__patient=late.patient)
    WaitlistOffer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    client = portal_client(late, practice_a)
    path = f"/portal/waitlist/claim/{claim_token(offer)}/"
    assert "this offer has expired" in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == 409
    assert "this offer has expired" in response.content.decode()
    assert not Appointment.objects.filter(patient=late.patient).exists()


def test_an_offer_link_works_only_for_its_patient(
    clinic: Clinic, practice_a: Practice, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    owner = make_account("owner@example.org")
    offers_for_a_freed_slot(clinic, [owner], django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get(entry__patient=owner.patient)
    intruder = portal_client(make_account("intruder@example.org"), practice_a)
    path = f"/portal/waitlist/claim/{claim_token(offer)}/"
    assert intruder.get(path).status_code == 404
    assert intruder.post(path).status_code == 404
    assert intruder.get("/portal/waitlist/claim/not-a-token/").status_code == 404
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.OPEN


def test_leaving_the_waitlist_withdraws_the_offer_already_sent(
    clinic: Clinic, practice_a: Practice, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    leaver = make_account("leaver@example.org")
    offers_for_a_freed_slot(clinic, [leaver], django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get(entry__patient=leaver.patient)
    client = portal_client(leaver, practice_a)
    leave = f"/portal/waitlist/{offer.entry_id}/leave/"
    assert leave in client.get("/portal/").content.decode()
    assert client.get(leave).status_code == 405
    assert portal_client(make_account("other@example.org"), practice_a).post(leave).status_code == 404

    response = client.post(leave, follow=True)
    assert "You have left the waitlist" in response.content.decode()
    assert "On the waitlist" not in response.content.decode()
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.CANCELLED

    path = f"/portal/waitlist/claim/{claim_token(offer)}/"
    assert "this offer was withdrawn: you left the waitlist" in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == 409
    assert "this offer was withdrawn: you left the waitlist" in response.content.decode()
    assert not Appointment.objects.filter(patient=leaver.patient).exists()
    assert WaitlistOffer.objects.get().status == WaitlistOffer.Status.WITHDRAWN
    assert "no longer on this waitlist" in client.post(leave, follow=True).content.decode()


def test_waitlist_provider_must_offer_the_visit(clinic: Clinic, practice_a: Practice) -> None:
    other = ProviderFactory.create(display_name="Dr Other")
    other.locations.add(clinic.location)
    clinic.visit.providers.add(clinic.provider)  # only Dr Lane offers this visit now
    client = portal_client(make_account("picky@example.org"), practice_a)
    data = {
        "appointment_type": clinic.visit.pk,
        "provider": other.pk,
        "earliest": clinic.local(1, 0).date(),
        "latest": clinic.local(3, 0).date(),
    }
    response = client.post("/portal/waitlist/", data)
    assert "Dr Other does not offer this visit." in response.content.decode()
    assert client.post("/portal/waitlist/", {**data, "provider": clinic.provider.pk}).status_code == 302
    assert WaitlistEntry.objects.get().provider == clinic.provider
