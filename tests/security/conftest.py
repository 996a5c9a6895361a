"""Shared helpers for the security tests: signed Twilio webhooks, staff users, captured log output."""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from twilio.request_validator import RequestValidator

INBOUND = "/webhooks/twilio/inbound/"
STATUS = "/webhooks/twilio/status/"
PASSWORD = "correct horse battery staple 42"


def twilio_signature(path: str, params: dict, token: str | None = None) -> str:
    url = settings.PUBLIC_BASE_URL + path
    return RequestValidator(token or settings.WEBHOOK_AUTH_TOKEN).compute_signature(url, params)


@pytest.fixture
def post_signed(client):
    """POST a webhook the way Twilio does: form-encoded, signed with the auth token over the URL."""

    def post(path: str, params: dict, signature: str | None = None):
        sig = twilio_signature(path, params) if signature is None else signature
        return client.post(path, data=params, HTTP_X_TWILIO_SIGNATURE=sig)

    return post


def make_staff(username: str, *, group: str | None = None, superuser: bool = False, **perms) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, is_staff=True, is_superuser=superuser)
    if group:
        from waitlist.management.commands.setup_roles import setup_roles

        setup_roles()
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def console_output():
    """Everything the configured console handler writes (after its PHI filter), as production
    formats it (JSON), with every logger opened down to DEBUG for the duration."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    from clinicbot.logging import MaskingJsonFormatter

    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    old_formatter = handler.formatter
    handler.setFormatter(MaskingJsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
        if isinstance(logging.root.manager.loggerDict[name], logging.Logger)
    ]
    levels = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        for lg, level in levels:
            lg.setLevel(level)
        handler.setFormatter(old_formatter)
        handler.setStream(old_stream)
