"""The runbook's command to reprocess a reply set aside after three failures used to leave
`attention_cleared_at` set (staff had marked the flag handled): if the text failed again it was
flagged anew but hidden from the board, and nobody acted on the patient's reply. The command is read
from docs/RUNBOOK.md and run as an operator would."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from core.actors import Actor
from messaging import services
from messaging.models import Message
from messaging.selectors import messages_needing_attention
from offers import services as offers

from ..messaging.twilio_requests import INBOUND, inbound_params, post_signed
from .smoke import REPO

pytestmark = pytest.mark.django_db
NUMBER = "+13125551807"


def _runbook_command() -> str:
    text = (REPO / "docs" / "RUNBOOK.md").read_text()
    found = re.findall(r"`(Message\.objects\.filter\(pk=N\)\.update\([^`]*\))`", text)
    assert len(found) == 1, found
    return found[0]


def _fail_three_times(clock) -> None:
    for _ in range(3):
        clock.advance(seconds=15)
        offers.sweep()


def test_a_reprocessed_reply_that_fails_again_is_shown_on_the_board(client, clock, monkeypatch):
    monkeypatch.setattr(services, "_inbound_process_one", lambda *, message_id: 1 / 0)
    post_signed(client, INBOUND, inbound_params(NUMBER, "YES"))
    connection.run_on_commit = []  # the processing task is lost: the sweeper is the one that tries
    message = Message.objects.filter(direction="inbound").latest("pk")
    _fail_three_times(clock)
    staff = get_user_model().objects.create_user("frontdesk")
    assert services.message_flag_clear(message_id=message.pk, actor=Actor.staff(staff))
    assert message not in messages_needing_attention()

    exec(_runbook_command().replace("pk=N", f"pk={message.pk}"), {"Message": Message})  # noqa: S102
    _fail_three_times(clock)

    message.refresh_from_db()
    assert message.needs_attention == "processing_failed"
    assert message in messages_needing_attention()
