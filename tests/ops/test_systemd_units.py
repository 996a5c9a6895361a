"""deploy/systemd runs exactly the Procfile: one unit per process, the same command, part of one target."""

import configparser
import re
import shutil
import subprocess

import pytest

from .smoke import REPO

UNITS = REPO / "deploy" / "systemd"
INSTALL_DIR = "/opt/clinicbot"


def _procfile() -> dict[str, str]:
    processes = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(UNITS / f"clinicbot-{name}.service")
    return parser


def _without_shell_defaults(command: str) -> tuple[str, dict[str, str]]:
    """`${WEB_BIND:-127.0.0.1:8000}` (shell) is `${WEB_BIND}` plus Environment=WEB_BIND=... (systemd)."""
    defaults = dict(re.findall(r"\$\{(\w+):-([^}]*)\}", command))
    return re.sub(r"\$\{(\w+):-[^}]*\}", r"${\1}", command), defaults


def test_every_procfile_process_has_a_unit_running_the_same_command():
    processes = _procfile()
    assert set(processes) == {"web", "worker", "timer"}
    for name, command in processes.items():
        unit = _unit(name)
        service = unit["Service"]
        expected, defaults = _without_shell_defaults(command)
        assert service["ExecStart"].replace(f"{INSTALL_DIR}/.venv/bin/", "") == expected, name
        environment = dict(pair.split("=", 1) for pair in service.get("Environment", "").split())
        for variable, value in defaults.items():
            assert environment.get(variable) == value, f"{name}: {variable} default differs from the Procfile"
        assert environment.get("CLINICBOT_IGNORE_DOTENV") == "1", name
        assert service["WorkingDirectory"] == INSTALL_DIR
        assert service["EnvironmentFile"] == "/etc/clinicbot/clinicbot.env"
        assert service["Restart"] == "always"
        # qcluster hangs when all its processes get SIGTERM at once; gunicorn wants it on the master only
        assert service["KillMode"] == "mixed", name
        assert unit["Unit"]["PartOf"] == "clinicbot.target"
        assert unit["Install"]["WantedBy"] == "clinicbot.target"


def test_the_worker_may_finish_its_longest_task_before_systemd_kills_it():
    from django.conf import settings

    stop = int(_unit("worker")["Service"]["TimeoutStopSec"])
    assert stop > settings.Q_CLUSTER["timeout"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_units_pass_systemd_analyze_verify(tmp_path):
    # verify checks that each ExecStart binary exists: point the units at this checkout
    env_file = tmp_path / "etc" / "clinicbot.env"
    env_file.parent.mkdir()
    env_file.write_text("")
    for path in UNITS.iterdir():
        text = path.read_text().replace(INSTALL_DIR, str(REPO)).replace("/etc/clinicbot/clinicbot.env", str(env_file))
        (tmp_path / path.name).write_text(text)
    if not (REPO / ".venv" / "bin" / "gunicorn").exists():
        pytest.skip("needs the project's .venv")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.glob("clinicbot*"))],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    complaints = [line for line in result.stderr.splitlines() if "clinicbot" in line]
    assert result.returncode == 0 and not complaints, result.stderr
