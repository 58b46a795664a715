"""Back-office inbox and portal message pages: roles, notes kept from patients, and isolation
between practices and between patients (404, never someone else's conversation)."""

from django.test import Client
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.messaging import services
from practica.messaging.models import Message, Thread
from tests.conftest import host_of, signed_in_client, staff
from tests.messaging.conftest import Side
from tests.portal.conftest import portal_client


def test_inbox_lists_threads_with_unread_counts_and_filters(side_a: Side) -> None:
    client = signed_in_client(side_a.nurse, side_a.practice)
    with tenant_context(side_a.practice):
        services.assign_thread(side_a.ann_thread, side_a.practice, Role.FRONT_DESK, side_a.nurse)
        services.close_thread(side_a.bob_thread, Role.FRONT_DESK)
    # By the threads' links: names from the factories may contain "Ann" or "Bob" anywhere.
    ann, bob = (
        f'href="/messages/{thread.pk}/"'.encode() for thread in (side_a.ann_thread, side_a.bob_thread)
    )
    page = client.get("/messages/")
    assert page.status_code == 200
    assert ann in page.content and bob not in page.content  # Bob's is closed
    assert b'1<span class="visually-hidden"> unread' in page.content
    assert ann in client.get("/messages/?view=mine").content
    assert ann not in client.get("/messages/?view=unassigned").content
    assert bob in client.get("/messages/?view=closed").content


def test_staff_reply_note_assign_close_and_reopen_through_the_pages(side_a: Side) -> None:
    client = signed_in_client(side_a.nurse, side_a.practice)
    colleague = staff(side_a.practice, Role.CLINICIAN, full_name="Dr Colleague")
    url = f"/messages/{side_a.ann_thread.pk}/"
    assert client.post(url + "reply/", {"body": "We sent it"}).status_code == 302
    client.post(url + "note/", {"body": "called the pharmacy"})
    client.post(url + "assign/", {"assignee": str(colleague.pk)})
    page = client.get(url)
    assert b"We sent it" in page.content and b"called the pharmacy" in page.content
    assert b"Internal note" in page.content
    client.post(url + "close/")
    with tenant_context(side_a.practice):
        thread = Thread.objects.get(pk=side_a.ann_thread.pk)
        assert thread.status == Thread.Status.CLOSED and thread.assigned_to_id == colleague.pk
        assert thread.staff_read_at is not None
    refused = client.post(url + "reply/", {"body": "after closing"}, follow=True)
    assert b"reopen it to reply" in refused.content
    client.post(url + "reopen/")
    assert client.post(url + "assign/", {"assignee": "999999"}, follow=True).status_code == 200
    with tenant_context(side_a.practice):
        assert Thread.objects.get(pk=side_a.ann_thread.pk).status == Thread.Status.OPEN
        assert Thread.objects.get(pk=side_a.ann_thread.pk).assigned_to_id == colleague.pk


def test_a_biller_reads_the_inbox_but_cannot_reply(side_a: Side) -> None:
    client = signed_in_client(staff(side_a.practice, Role.BILLER), side_a.practice)
    url = f"/messages/{side_a.ann_thread.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and b"Send reply" not in page.content
    assert client.post(url + "reply/", {"body": "hi"}).status_code == 403
    with tenant_context(side_a.practice):
        assert Message.objects.filter(thread=side_a.ann_thread).count() == 1


def test_staff_of_another_practice_get_404(side_a: Side, side_b: Side) -> None:
    client = signed_in_client(side_a.nurse, side_a.practice)
    url = f"/messages/{side_b.ann_thread.pk}/"
    assert client.get(url).status_code == 404
    assert client.get(url + "since/?after=0").status_code == 404
    assert client.post(url + "reply/", {"body": "x"}).status_code == 404
    with tenant_context(side_b.practice):
        side_b.ann_thread.patient.last_name = "Betaonly"
        side_b.ann_thread.patient.save()
    assert b"Betaonly" not in client.get("/messages/").content


def test_patients_see_their_own_threads_without_notes_and_html_as_text(side_a: Side) -> None:
    with tenant_context(side_a.practice):
        services.add_internal_note(side_a.ann_thread, side_a.nurse, Role.FRONT_DESK, "secret staff note")
        services.post_staff_reply(side_a.ann_thread, side_a.nurse, Role.FRONT_DESK, "<b>bold</b> reply")
    client = portal_client(side_a.ann, side_a.practice)
    listing = client.get("/portal/messages/")
    assert listing.status_code == 200 and b"1 new" in listing.content
    page = client.get(f"/portal/messages/{side_a.ann_thread.pk}/")
    assert b"secret staff note" not in page.content
    assert b"&lt;b&gt;bold&lt;/b&gt; reply" in page.content
    since = client.get(f"/portal/messages/{side_a.ann_thread.pk}/since/?after=0").json()
    assert [m["body"] for m in since["messages"]] == ["Can I get a refill?", "<b>bold</b> reply"]
    assert client.get(f"/portal/messages/{side_a.ann_thread.pk}/since/?after=x").status_code == 400


def test_a_patient_gets_404_for_another_patients_or_practices_thread(side_a: Side, side_b: Side) -> None:
    client = portal_client(side_a.ann, side_a.practice)
    assert client.get(f"/portal/messages/{side_a.bob_thread.pk}/").status_code == 404
    assert client.post(f"/portal/messages/{side_a.bob_thread.pk}/", {"body": "hi"}).status_code == 404
    assert client.get(f"/portal/messages/{side_a.bob_thread.pk}/since/").status_code == 404
    assert client.get(f"/portal/messages/{side_b.ann_thread.pk}/").status_code == 404
    assert b"Question about my bill" not in client.get("/portal/messages/").content


def test_a_patient_starts_and_continues_a_conversation(side_a: Side) -> None:
    client = portal_client(side_a.ann, side_a.practice)
    assert client.post("/portal/messages/new/", {"body": "  "}).status_code == 400
    assert client.post("/portal/messages/new/", {"body": "x", "appointment": "nope"}).status_code == 400
    created = client.post("/portal/messages/new/", {"body": "A new question"})
    assert created.status_code == 302
    with tenant_context(side_a.practice):
        thread = Thread.objects.filter(patient=side_a.ann.patient).order_by("-created_at").first()
        assert thread is not None and thread.messages.get().body == "A new question"
    client.post(f"/portal/messages/{thread.pk}/", {"body": "And one more"})
    with tenant_context(side_a.practice):
        assert [m.body for m in thread.messages.all()] == ["A new question", "And one more"]


def test_signed_out_visitors_are_sent_to_sign_in(side_a: Side) -> None:
    anonymous = Client(HTTP_HOST=host_of(side_a.practice))
    assert anonymous.get("/portal/messages/").status_code == 302
    assert anonymous.get("/messages/").status_code == 302
