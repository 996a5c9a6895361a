"""The console's own pages load their script from /static/ and carry no inline script or event
handler: the Content-Security-Policy (script-src 'self') would block them."""

import re

import pytest

from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:json|ld\+json)\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_every_console_page_works_without_inline_script(manager, clinic, settle, settings):
    settings.SMS_BACKEND = "dev"
    c = offering_slot(clinic, settle)
    phone = clinic.patients[0].phone
    entry = clinic.entries[0]
    pages = ["/admin/", f"/admin/offers/cancellation/{c.pk}/change/", "/admin/metrics/", "/admin/simulator/",
             f"/admin/simulator/{phone.pk}/", "/admin/import/", f"/admin/messaging/phonenumber/{phone.pk}/change/",
             f"/admin/waitlist/waitlistentry/{entry.pk}/change/", f"/admin/waitlist/patient/{entry.patient_id}/change/"]
    for path in pages:
        response = manager.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert not INLINE_SCRIPT.findall(html), path
        assert not INLINE_HANDLER.findall(html), path
    board = manager.get("/admin/").content.decode()
    assert '<script src="/static/console/board.js" defer></script>' in board
