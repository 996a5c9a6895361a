"""A text whose body is HTML (a patient's phone, or an attacker who knows the number) is shown as
text on every console page that displays it, never run as markup."""

import json

import pytest

from messaging.models import Message
from tests import factories as f

from .conftest import INBOUND, make_staff

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("pwned")</script><img src=x onerror="alert(2)">'


@pytest.fixture
def hostile_text(clock, settle, post_signed):
    patient = f.patient()
    f.entry(patient)
    post_signed(INBOUND, {"MessageSid": "SM" + "e" * 32, "From": patient.phone.e164, "Body": PAYLOAD})
    settle()
    message = Message.objects.get(provider_sid="SM" + "e" * 32)
    assert message.body == PAYLOAD  # stored as received
    return message


def _assert_escaped(html: str, where: str):
    assert "<script>alert" not in html and "onerror=\"alert" not in html, f"raw markup on {where}"
    assert "&lt;script&gt;alert(" in html, f"the text itself is not shown on {where}"


@pytest.mark.parametrize("page", ["message", "message_list", "thread", "patient"])
def test_a_script_body_is_escaped_on_console_pages(client, hostile_text, page):
    client.force_login(make_staff("boss", superuser=True))
    url = {
        "message": f"/admin/messaging/message/{hostile_text.pk}/change/",
        "message_list": "/admin/messaging/message/",
        "thread": f"/admin/messaging/phonenumber/{hostile_text.phone_id}/change/",
        "patient": f"/admin/waitlist/patient/{hostile_text.patient_id}/change/",
    }[page]
    response = client.get(url)
    assert response.status_code == 200
    _assert_escaped(response.content.decode(), url)


def test_a_flagged_script_body_is_escaped_on_the_live_board(client, hostile_text):
    assert hostile_text.needs_attention  # a known patient's unrecognised text goes to the board
    client.force_login(make_staff("boss", superuser=True))
    poll = client.get("/admin/board/poll/")
    sections = "".join(json.loads(poll.content)["sections"].values())
    board = client.get("/admin/").content.decode()
    for html, where in ((sections, "board poll"), (board, "board")):
        _assert_escaped(html, where)
