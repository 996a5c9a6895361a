"""A discreet location's texts name no clinic, provider or place. The arrival note is free text staff
write per location ("Check in at the oncology desk"), so a discreet confirmation leaves it out too."""

import pytest

from messaging.templating import render_sms

from .test_sms_templates_fit import _context

NOTE = "Check in at the oncology desk."


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_discreet_confirmation_has_no_arrival_note(language):
    body = render_sms("confirmed", language, {**_context(language, True), "arrival_note": NOTE}).body
    assert "oncology" not in body and "  " not in body


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_named_confirmation_keeps_the_arrival_note(language):
    body = render_sms("confirmed", language, {**_context(language, False), "arrival_note": NOTE}).body
    assert NOTE in body


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_arrival_note_leaves_no_double_space(language):
    body = render_sms("confirmed", language, {**_context(language, False), "arrival_note": ""}).body
    assert "  " not in body
