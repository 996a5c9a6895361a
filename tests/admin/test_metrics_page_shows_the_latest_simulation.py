"""The metrics page shows the last `simulate_fill` run (latest.json) as a small table, one row per
policy; with no run, or a file it cannot read, the page shows the live figures alone."""

import json

import pytest

from offers import simulation

pytestmark = pytest.mark.django_db
URL = "/admin/metrics/"

REPORT = {
    "schema": 1,
    "generated_at": "2026-11-25T09:00:00+00:00",
    "command": "python manage.py simulate_fill --days 5",
    "world": {"patients": 2000, "phone_numbers": 1898, "providers": 10, "locations": 2, "cancellations": 500},
    "policies": [
        {"name": "ours", "label": "Ours (adaptive, 3/wave, 7 min)",
         "metrics": {"fill_rate": 0.488, "filled_within_2h_rate": 0.476, "median_minutes_to_fill": 25.0,
                     "p90_minutes_to_fill": 82.0, "offers_per_fill": 20.5, "texts_per_fill": 27.8,
                     "max_texts_one_number_7_days": 7, "opt_outs": 8, "lost_to_cutoff": 1, "exhausted": 255}},
        {"name": "reference", "label": "Reference <3/wave>", "metrics": {"fill_rate": None}},
    ],
}


@pytest.fixture
def latest_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(simulation, "LATEST_DIR", tmp_path)
    return tmp_path


def test_manager_sees_each_policy_of_the_latest_run(manager, latest_dir):
    (latest_dir / "latest.json").write_text(json.dumps(REPORT))
    html = manager.get(URL).content.decode()
    assert 'id="simulation"' in html
    assert "2,000 patients" in html and "500 cancellations" in html
    row = html.split("Ours (adaptive, 3/wave, 7 min)</td>", 1)[1].split("</tr>", 1)[0]
    assert "<td>48.8 %</td><td>47.6 %</td><td>25 min</td><td>82 min</td><td>20.50</td>" in row
    # labels are escaped, and a figure the run could not compute is a dash
    assert "Reference &lt;3/wave&gt;</td><td>–</td>" in html


def test_without_a_run_the_page_shows_no_simulation(manager, latest_dir):
    response = manager.get(URL)
    assert response.status_code == 200 and 'id="simulation"' not in response.content.decode()


def test_a_broken_file_is_skipped_not_a_500(manager, latest_dir):
    (latest_dir / "latest.json").write_text("{not json")
    response = manager.get(URL)
    assert response.status_code == 200 and 'id="simulation"' not in response.content.decode()
    (latest_dir / "latest.json").write_text(json.dumps({"policies": "nonsense"}))
    assert manager.get(URL).status_code == 200
