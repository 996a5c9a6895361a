"""Roles from setup_roles: Front desk runs the waitlist, cancellations and the board; Manager also
reads metrics, exports messages and reads the audit trail."""

import pytest

pytestmark = pytest.mark.django_db


def test_front_desk_cannot_open_metrics_audit_or_export(desk):
    assert desk.get("/admin/metrics/").status_code == 403
    assert desk.get("/admin/core/auditevent/").status_code == 403
    assert desk.get("/admin/messaging/message/export.csv").status_code == 403
    html = desk.get("/admin/").content.decode()
    assert "/admin/metrics/" not in html and "/admin/core/auditevent/" not in html


def test_front_desk_runs_the_day(desk):
    for url in ("/admin/", "/admin/board/poll/", "/admin/waitlist/waitlistentry/", "/admin/waitlist/patient/",
                "/admin/offers/cancellation/", "/admin/messaging/message/", "/admin/messaging/phonenumber/",
                "/admin/waitlist/waitlistentry/add/"):
        assert desk.get(url).status_code == 200, url


def test_manager_has_metrics_audit_and_export(manager):
    for url in ("/admin/", "/admin/metrics/", "/admin/core/auditevent/", "/admin/messaging/message/export.csv"):
        assert manager.get(url).status_code == 200, url


def test_nobody_can_change_the_audit_trail(superuser, manager):
    from core.actors import Actor
    from core.services import audit_record

    event = audit_record(actor=Actor.system("test"), action="test.event", object_type="x", object_id=1)
    for client in (manager, superuser):
        assert client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 200  # view only
        assert client.post(f"/admin/core/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403
        assert client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.get("/admin/core/auditevent/add/").status_code == 403


def test_staff_without_a_role_see_nothing(nobody):
    for url in ("/admin/waitlist/waitlistentry/", "/admin/offers/cancellation/", "/admin/messaging/message/",
                "/admin/metrics/"):
        assert nobody.get(url).status_code == 403, url
