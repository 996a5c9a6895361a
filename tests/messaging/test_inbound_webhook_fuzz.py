"""Hypothesis throws thousands of correctly signed, strange requests at the inbound webhook through
the Django test client: it never answers 500 (the client would raise), answers 200 with empty TwiML
and stores the text whenever MessageSid and From are present (and the worker processes it without
an error), and 400 otherwise."""

from urllib.parse import quote_from_bytes, urlencode

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.models import Message
from messaging.webhooks import EMPTY_TWIML

from .twilio_requests import INBOUND, inbound_params, new_sid, post_form, post_signed

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=1400, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KEYWORDS = ["YES", "Y", "NO", "STOP", "START", "HELP", "CANCEL", "stop texting me", "Liked \u201cYes\u201d",
            "s\u00ed", "\U0001f44d", "wrong number", "UNSTOP", "1", "2", ""]
senders = st.one_of(
    st.sampled_from(["+13125550501", "+13125550502", "+442071838750", "HEALTHCO", "12345", "+1", "+99999999999999999"]),
    st.text(max_size=40),
)
bodies = st.one_of(
    st.sampled_from(KEYWORDS),
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1590, max_size=1700),
    st.builds(lambda k, pad: pad + k + pad, st.sampled_from(KEYWORDS), st.text(" .!?\u00a0\u200b\n", max_size=5)),
)
opt_out_types = st.one_of(st.none(), st.sampled_from(["STOP", "START", "HELP", "stop", "", "BOGUS"]), st.text(max_size=8))
extras = st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=50), max_size=4)


@FUZZ
@given(sender=senders, body=bodies, opt_out_type=opt_out_types, extra=extras, drop=st.sampled_from([(), ("MessageSid",), ("From",)]))
def test_the_inbound_webhook_never_fails_on_signed_input(client, settle, sender, body, opt_out_type, extra, drop):
    sid = new_sid()
    params = {**extra, **inbound_params(sender, body, sid=sid)}
    if opt_out_type is not None:
        params["OptOutType"] = opt_out_type
    for name in drop:
        del params[name]
    response = post_signed(client, INBOUND, params)
    if drop or not sender:
        assert response.status_code == 400
        assert not Message.objects.filter(provider_sid=sid).exists()
    else:
        assert response.status_code == 200, response.content
        assert response.content.decode() == EMPTY_TWIML
        settle()  # the worker's processing of the stored text never fails either
        assert Message.objects.filter(provider_sid=sid, processed_at__isnull=False).exists()


@settings(FUZZ, max_examples=600)
@given(raw=st.binary(max_size=300), sender=st.sampled_from(["+13125550503", "%FF", "%00"]))
def test_arbitrary_bytes_in_a_signed_form_body_never_fail(client, raw, sender):
    sid = new_sid()
    body = urlencode({"MessageSid": sid, "AccountSid": "AC" + "0" * 32}).encode()
    body += b"&From=" + sender.encode() + b"&Body=" + quote_from_bytes(raw).encode() + b"&" + raw
    response = post_form(client, INBOUND, body)
    parsed = QueryDict(body)
    if parsed.get("MessageSid") and parsed.get("From"):
        assert response.status_code == 200, response.content
        assert Message.objects.filter(provider_sid=parsed["MessageSid"][:40]).exists()
    else:
        assert response.status_code == 400
