import re
from pathlib import Path

from clinicbot.settings.env import VARIABLES

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_is_in_env_example_and_nothing_else():
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))
    assert listed == set(VARIABLES), f"missing: {set(VARIABLES) - listed}, unknown: {listed - set(VARIABLES)}"


def test_every_variable_has_a_meaning():
    assert all(doc.strip() for _cast, _default, doc in VARIABLES.values())
