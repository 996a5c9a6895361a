"""docs/DEPLOYMENT.md documents every setting an operator can set (the table in section 3)."""

import re

from clinicbot.settings.env import VARIABLES

from .smoke import REPO


def _documented() -> set[str]:
    text = (REPO / "docs" / "DEPLOYMENT.md").read_text()
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", text))


def test_every_setting_in_env_py_is_in_the_deployment_guide():
    missing = sorted(set(VARIABLES) - _documented())
    assert not missing, f"add these to docs/DEPLOYMENT.md section 3: {missing}"


def test_every_process_variable_gunicorn_reads_is_in_the_deployment_guide():
    config = (REPO / "deploy" / "gunicorn.conf.py").read_text()
    read = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', config))
    assert read and not sorted(read - _documented())
