import json
import xml.etree.ElementTree as ET
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from offers.models import Cancellation, Offer
from tests import factories as f
from waitlist.models import Location, Patient

pytestmark = pytest.mark.django_db(transaction=True)

TINY = ["--patients", "150", "--days", "1", "--per-day", "3", "--providers", "2", "--locations", "1", "--jobs", "1"]


def test_the_command_compares_the_policies_on_a_scratch_database_and_writes_json_and_svg(tmp_path):
    real = f.location(name="Real")  # a row of the configured database the simulation must not see or touch
    out, err = StringIO(), StringIO()

    # one process per policy, as by default
    call_command("simulate_fill", *TINY, "--jobs", "3", "--json", str(tmp_path / "figures.json"), "--svg", str(tmp_path / "chart.svg"),
                 "--latest-dir", str(tmp_path / "latest"), stdout=out, stderr=err)

    assert list(Location.objects.values_list("pk", flat=True)) == [real.pk]
    assert not Patient.objects.exists() and not Cancellation.objects.exists() and not Offer.objects.exists()
    report = json.loads((tmp_path / "figures.json").read_text())
    assert (tmp_path / "latest" / "latest.json").read_text() == (tmp_path / "figures.json").read_text()
    assert [p["name"] for p in report["policies"]] == ["reference", "nexhealth", "ours"]
    assert report["world"]["cancellations"] == 3
    assert all(p["metrics"]["cancellations"] == 3 and p["metrics"]["offers"] > 0 for p in report["policies"])
    assert report["policies"][0]["parameters"]["timer_seconds"] == 30
    assert report["policies"][1]["parameters"]["batch"] == 10
    svg = ET.fromstring((tmp_path / "chart.svg").read_text())
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2 * 3 + 1  # each policy in both panels, plus the slots logged
    table = out.getvalue()
    assert table.startswith("| Policy |") and "NexHealth pattern" in table


def test_the_command_refuses_a_database_url_that_does_not_say_it_is_scratch(tmp_path):
    with pytest.raises(CommandError, match="must contain 'sim'"):
        call_command("simulate_fill", *TINY, "--database-url", f"sqlite:///{tmp_path / 'clinic.sqlite3'}",
                     "--latest-dir", "", stdout=StringIO(), stderr=StringIO())


def test_the_command_rejects_impossible_parameters():
    with pytest.raises(CommandError, match="cannot exceed 1"):
        call_command("simulate_fill", *TINY, "--accept", "0.7", "--decline", "0.5", "--latest-dir", "",
                     stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="--policies"):
        call_command("simulate_fill", *TINY, "--policies", "ours,epic", "--latest-dir", "",
                     stdout=StringIO(), stderr=StringIO())
