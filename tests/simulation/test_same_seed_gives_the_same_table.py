import dataclasses

import pytest

from offers import simulation as sim
from tests.simulation._worlds import all_policies, ample

pytestmark = pytest.mark.django_db(transaction=True)


def _report(config: sim.SimConfig) -> dict:
    world = sim.world_build(config)
    results = sim.simulate_here(world=world, policies=all_policies())
    return sim.report_build(world=world, results=results, command="test", database="test", seconds=0.0)


def test_the_same_seed_gives_the_same_table():
    # a mixed world: some yes, some no, some silence, a few opt-outs, log-normal delays
    config = ample(seed=11, days=1, per_day=3, patients=200, accept=0.3, decline=0.3, opt_out=0.05,
                   reply_distribution="lognormal", reply_median_minutes=5.0, preferences=0.5,
                   current_appointments=0.5, shared_phones=0.1)
    first, second = _report(config), _report(config)

    assert sim.table_figures(first) == sim.table_figures(second)
    assert sim.table_markdown(first) == sim.table_markdown(second)
    assert [p["series"] for p in first["policies"]] == [p["series"] for p in second["policies"]]
    # the table is about something: offers went out and some slots were filled
    assert all(m["offers"] > 0 and m["filled"] > 0 for m in sim.table_figures(first).values())


def test_the_world_depends_only_on_the_seed():
    config = ample(seed=11, preferences=1.0, current_appointments=0.85, shared_phones=0.05)
    assert dataclasses.asdict(sim.world_build(config)) == dataclasses.asdict(sim.world_build(config))
    other = sim.world_build(dataclasses.replace(config, seed=12))
    assert [s.start_at for s in other.slots] != [s.start_at for s in sim.world_build(config).slots]
