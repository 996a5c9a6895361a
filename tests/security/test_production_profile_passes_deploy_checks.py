"""`check --deploy` with DEBUG off is clean (two warnings are silenced on purpose, with reasons in
settings and docs/SECURITY.md), and the production settings are the hardened ones."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "clinic.example",
    "PUBLIC_BASE_URL": "https://clinic.example",
    # with DEBUG off the fake-delivery backend runs only when asked for by name
    "SMS_BACKEND": "dev",
}

PRINT_SETTINGS = """
import json, logging, django
django.setup()
from django.conf import settings as s
print(json.dumps({k: getattr(s, k, None) for k in (
    "DEBUG", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "ADMINS",
    "SESSION_COOKIE_HTTPONLY", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF", "SILENCED_SYSTEM_CHECKS")}))
logging.getLogger("clinicbot.probe").warning("probe line")
"""


def _run(args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTEST", "TEST_DATABASE"))}
    clean.update({"CLINICBOT_IGNORE_DOTENV": "1", "DJANGO_SETTINGS_MODULE": "clinicbot.settings",
                  "SECRET_KEY": secrets.token_urlsafe(50), **PRODUCTION, **env})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_production():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout


def test_check_deploy_is_clean_behind_a_tls_proxy():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], TRUST_PROXY="true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout


def test_production_settings_are_hardened_and_logs_are_json():
    result = _run(["-c", PRINT_SETTINGS])
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False and values["ALLOWED_HOSTS"] == ["clinic.example"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # X-Forwarded-Proto is not trusted without TRUST_PROXY
    assert values["X_FRAME_OPTIONS"] == "DENY" and values["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert values["ADMINS"] == []
    assert set(values["SILENCED_SYSTEM_CHECKS"]) & {"security.W008"} == set()
    probe = [json.loads(line) for line in result.stderr.splitlines() if "probe line" in line]
    assert probe and probe[0]["levelname"] == "WARNING" and probe[0]["message"] == "probe line"


def test_only_a_trusted_proxy_sets_the_https_header_and_redirects():
    result = _run(["-c", PRINT_SETTINGS], TRUST_PROXY="true")
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False
