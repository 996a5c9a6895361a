"""A whole offer flow, as production logs it, leaves no name, full number or message text in the logs."""

import datetime as dt
import json
import logging

import pytest

from messaging.models import Message
from offers.models import Cancellation
from tests import factories as f
from tests.conftest import T0

from .conftest import INBOUND

pytestmark = pytest.mark.django_db

FIRST, LAST = "Zebulon", "Quixotefield"
NUMBER = "+13125559876"


def test_offer_flow_logs_no_patient_name_text_or_full_number(clock, sms, settle, client, post_signed,
                                                                console_output):
    loc = f.location()
    prov = f.provider(loc)
    patient = f.patient(phone=NUMBER, first=FIRST, last=LAST)
    f.entry(patient)
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    assert sms.bodies_to(NUMBER), "the offer was not sent"

    # someone without the token tries first: the security log names the path, never the payload
    forged = client.post(INBOUND, data={"MessageSid": "SM" + "f" * 32, "From": NUMBER, "Body": "Yes please"},
                         HTTP_X_TWILIO_SIGNATURE="bogus")
    assert forged.status_code == 403
    reply = {"MessageSid": "SM" + "a" * 32, "AccountSid": "AC" + "0" * 32, "From": NUMBER,
             "To": "+13125550100", "Body": "Yes please"}
    assert post_signed(INBOUND, reply).status_code == 200
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    assert "you are booked" in sms.bodies_to(NUMBER)[-1]
    # a careless log line quoting a raw number is masked by the handler's filter
    logging.getLogger("clinicbot.test").warning("careless line about %s", NUMBER)

    output = console_output.getvalue()
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) >= 5, output  # the flow was logged (audit mirror, security warning, ...)
    for line in lines:
        json.loads(line)  # structured: one JSON object per line
    assert "***9876" in output  # numbers appear masked
    forbidden = [FIRST, LAST, NUMBER, NUMBER[1:], NUMBER[2:], "312) 555-9876", "312-555-9876", "Yes please"]
    forbidden += [m.body for m in Message.objects.exclude(body="")]
    forbidden += sms.bodies_to(NUMBER)
    leaks = [text for text in forbidden if text and text in output]
    assert not leaks, f"PHI in logs: {leaks}"
