"""List actions on the waitlist: boost (with an amount and a reason, on an intermediate page), mark
urgent, deactivate, re-activate unresponsive entries. Each goes through the waitlist services, so the
stored priority is refreshed and the audit trail names the staff member."""

import pytest
from django.contrib.admin import helpers

from core.models import AuditEvent
from waitlist import services
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db
URL = "/admin/waitlist/waitlistentry/"


def _action(client, action, entries, **extra):
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [e.pk for e in entries], **extra}
    return client.post(URL, data)


def test_boost_asks_for_an_amount_and_a_reason_first(desk, clinic):
    ana = clinic.entries[0]
    page = _action(desk, "boost", [ana])
    assert page.status_code == 200
    assert 'id="boost-form"' in page.content.decode()
    ana.refresh_from_db()
    assert ana.manual_boost == 0


def test_boost_is_applied_with_its_reason_and_raises_priority(desk, clinic):
    ana = clinic.entries[0]
    before = ana.priority
    response = _action(desk, "boost", [ana], apply="1", amount="15", reason="post-op review due")
    assert response.status_code == 302
    ana.refresh_from_db()
    assert (ana.manual_boost, ana.boost_reason) == (15, "post-op review due")
    assert ana.priority == before + 15
    assert ana.priority_breakdown["manual_boost"] == 15
    event = AuditEvent.objects.get(action="entry.boost", object_id=str(ana.pk))
    assert event.actor_user == desk.user and event.note == "post-op review due"


@pytest.mark.parametrize(("amount", "reason", "error"), [
    ("41", "x", "less than or equal to 40"),
    ("-1", "x", "greater than or equal to 0"),
    ("10", "", "Say why this patient is boosted."),
])
def test_a_bad_boost_is_refused_on_the_form(desk, clinic, amount, reason, error):
    ana = clinic.entries[0]
    page = _action(desk, "boost", [ana], apply="1", amount=amount, reason=reason)
    assert page.status_code == 200
    assert error in page.content.decode()
    ana.refresh_from_db()
    assert ana.manual_boost == 0


def test_mark_urgent_adds_the_urgent_points(desk, clinic):
    ben = clinic.entries[1]
    before = ben.priority
    _action(desk, "mark_urgent", [ben])
    ben.refresh_from_db()
    assert ben.urgent and ben.priority == before + 30
    assert AuditEvent.objects.filter(action="entry.urgent", object_id=str(ben.pk), actor_user=desk.user).exists()


def test_deactivate_takes_entries_off_the_list_with_a_reason(desk, clinic):
    cleo = clinic.entries[2]
    _action(desk, "deactivate", [cleo])
    cleo.refresh_from_db()
    assert not cleo.active and cleo.inactive_reason == WaitlistEntry.InactiveReason.REMOVED
    assert AuditEvent.objects.filter(action="entry.deactivate.removed", actor_user=desk.user).exists()


def test_reactivate_only_brings_back_unresponsive_entries(desk, clinic):
    from core.actors import Actor

    a, b = clinic.entries[0], clinic.entries[1]
    services.entry_deactivate(entry_id=a.pk, reason="unresponsive", actor=Actor.system("engine"))
    services.entry_deactivate(entry_id=b.pk, reason="removed", actor=Actor.system("test"))
    WaitlistEntry.objects.filter(pk=a.pk).update(consecutive_no_reply=3)
    _action(desk, "reactivate_unresponsive", [a, b])
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.active and a.consecutive_no_reply == 0
    assert not b.active


def test_a_role_without_change_permission_has_no_actions(nobody, clinic):
    response = _action(nobody, "mark_urgent", [clinic.entries[0]])
    assert response.status_code == 403
    clinic.entries[0].refresh_from_db()
    assert not clinic.entries[0].urgent
