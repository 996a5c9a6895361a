"""A sender-wide pause is shown on the board; a manager resumes outreach through `sender_resume`."""

import pytest

from core.models import AuditEvent
from messaging import services as messaging
from messaging.models import SenderHealth

pytestmark = pytest.mark.django_db
RESUME = "/admin/board/sender/resume/"


def test_manager_resumes_outreach_from_the_board(manager, clinic):
    messaging.sender_pause(reason="5 different numbers failed in a row")
    assert 'id="cb-sender-resume"' in manager.get("/admin/").content.decode()
    response = manager.post(RESUME)
    assert response.status_code == 302
    assert not SenderHealth.objects.get(pk=1).paused
    assert SenderHealth.objects.get(pk=1).resumed_by == manager.user
    assert AuditEvent.objects.filter(action="sender.resume", actor_user=manager.user).exists()
    assert 'id="sender-paused"' not in manager.get("/admin/").content.decode()


def test_front_desk_cannot_resume(desk, clinic):
    messaging.sender_pause(reason="carrier trouble")
    assert desk.post(RESUME).status_code == 403
    assert SenderHealth.objects.get(pk=1).paused


def test_resume_is_post_only(manager, clinic):
    messaging.sender_pause(reason="carrier trouble")
    assert manager.get(RESUME).status_code == 405
    assert SenderHealth.objects.get(pk=1).paused
