"""Markup checks on the message pages: labelled controls, one h1, no inline script or style."""

import re

from tests.conftest import signed_in_client
from tests.messaging.conftest import Side
from tests.portal.conftest import portal_client
from tests.portal.test_accessibility import CONTROL, check_page


def check_staff_page(html: str) -> None:
    assert len(re.findall(r"<h1\b", html)) == 1
    assert "style=" not in html and "<style" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    for _tag, attrs in CONTROL.findall(html):
        if 'type="hidden"' in attrs:
            continue
        control_id = re.search(r'id="([^"]+)"', attrs)
        assert control_id, attrs
        assert f'<label for="{control_id.group(1)}"' in html, control_id.group(1)


def test_portal_message_pages(side_a: Side) -> None:
    client = portal_client(side_a.ann, side_a.practice)
    for path in ("/portal/messages/", "/portal/messages/new/", f"/portal/messages/{side_a.ann_thread.pk}/"):
        page = client.get(path)
        assert page.status_code == 200, path
        check_page(page.content.decode())


def test_back_office_message_pages(side_a: Side) -> None:
    client = signed_in_client(side_a.nurse, side_a.practice)
    for path in ("/messages/", f"/messages/{side_a.ann_thread.pk}/"):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.content.decode()
        check_staff_page(html)
        assert 'src="/static/messaging/live.js"' in html
