"""Managers (messaging.export_messages) export the message list as CSV, with the list's filters
applied; numbers are masked, cells cannot run as spreadsheet formulas, and the export is audited."""

import csv
import io

import pytest

from core.models import AuditEvent
from messaging.models import Message
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db
EXPORT = "/admin/messaging/message/export.csv"


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_manager_exports_the_filtered_list_with_masked_numbers(manager, clinic, settle):
    offering_slot(clinic, settle)
    phone = clinic.patients[0].phone
    Message.objects.create(direction="inbound", phone=phone, body="=HYPERLINK(\"x\")", send_state="",
                           created_at=Message.objects.first().created_at)
    response = manager.get(EXPORT, {"direction__exact": "outbound"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == Message.objects.filter(direction="outbound").count() == 3
    assert {r["direction"] for r in rows} == {"outbound"}
    for r in rows:
        assert r["number"].startswith("***") and len(r["number"]) == 7
    everything = _csv(manager.get(EXPORT))
    assert any(r["body"] == "'=HYPERLINK(\"x\")" for r in everything)
    event = (AuditEvent.objects.filter(kind="access", action="view:messages.export", actor_user=manager.user)
             .order_by("id").first())
    assert event is not None and event.note.startswith("3 rows")


def test_the_list_offers_the_export_only_to_managers(manager, desk, clinic):
    assert 'id="cb-export-csv"' in manager.get("/admin/messaging/message/").content.decode()
    assert 'id="cb-export-csv"' not in desk.get("/admin/messaging/message/").content.decode()


def test_front_desk_cannot_export(desk, clinic):
    assert desk.get(EXPORT).status_code == 403
    assert not AuditEvent.objects.filter(action="view:messages.export").exists()
