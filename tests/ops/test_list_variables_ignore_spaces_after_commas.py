"""ALLOWED_HOSTS=clinic.example, www.clinic.example kept " www.clinic.example", which no Host header
matches (every request to it a 400), and ADMIN_EMAILS kept the space in the address."""

import environ

from clinicbot.settings import env as cenv


def test_allowed_hosts_written_with_a_space_after_the_comma_are_stripped(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "clinic.example, www.clinic.example")
    assert cenv.get(environ.Env(), "ALLOWED_HOSTS") == ["clinic.example", "www.clinic.example"]


def test_admin_emails_drop_spaces_and_empty_items(monkeypatch):
    monkeypatch.setenv("ADMIN_EMAILS", " ops@clinic.example ,, it@clinic.example, ")
    assert cenv.get(environ.Env(), "ADMIN_EMAILS") == ["ops@clinic.example", "it@clinic.example"]


def test_an_unset_list_keeps_its_default(monkeypatch):
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    assert cenv.get(environ.Env(), "ALLOWED_HOSTS") == ["127.0.0.1", "localhost"]
