"""Start Django in a fresh interpreter with only the given clinicbot variables (nothing from the
developer's shell or .env), to see whether the settings let it start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from clinicbot.settings.env import VARIABLES

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SMS_BACKEND": "dev",
}


def start(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES and not k.startswith(("DJANGO", "PYTEST"))}
    clean.update({"CLINICBOT_IGNORE_DOTENV": "1", "DJANGO_SETTINGS_MODULE": "clinicbot.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


def assert_refused(result: subprocess.CompletedProcess, variable: str) -> None:
    assert result.returncode != 0 and "started" not in result.stdout, result.stdout[-300:]
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr, result.stderr[-800:]


def assert_started(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0 and "started" in result.stdout, result.stderr[-800:]
