import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections

from offers import simulation as sim
from tests import factories as f
from waitlist.models import Location

pytestmark = pytest.mark.django_db(transaction=True)


def test_swapping_to_the_configured_database_is_refused():
    with pytest.raises(ImproperlyConfigured):
        with sim.database_swapped(dict(connections.settings["default"])):
            pass


def test_a_scratch_database_is_used_inside_the_block_and_the_configured_one_after_it(tmp_path):
    real = f.location(name="Real")
    original = connection.settings_dict["NAME"]
    with sim.database_swapped(sim.sqlite_scratch_settings(tmp_path / "scratch.sqlite3")):
        assert connection.settings_dict["NAME"] == str(tmp_path / "scratch.sqlite3")
        sim._migrate()
        assert not Location.objects.exists()
        f.location(name="Scratch")
    assert connection.settings_dict["NAME"] == original
    assert list(Location.objects.values_list("name", flat=True)) == [real.name]


@pytest.mark.postgres
def test_the_command_runs_on_a_postgres_scratch_database_named_for_it(tmp_path):
    import json
    from io import StringIO

    from django.core.management import call_command

    name = "clinicbot_sim_pytest"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        s = connection.settings_dict
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
        call_command("simulate_fill", "--patients", "120", "--days", "1", "--per-day", "2", "--providers", "2",
                     "--locations", "1", "--database-url", url, "--json", str(tmp_path / "pg.json"), "--latest-dir", "",
                     stdout=StringIO(), stderr=StringIO())
        report = json.loads((tmp_path / "pg.json").read_text())
        assert report["run"]["database"].startswith("postgresql")
        assert all(p["metrics"]["cancellations"] == 2 for p in report["policies"])
    finally:
        connections.close_all()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
