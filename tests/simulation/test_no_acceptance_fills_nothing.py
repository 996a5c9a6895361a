import pytest

from offers import simulation as sim
from tests.simulation._worlds import all_policies, ample

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_slot_is_filled_when_nobody_says_yes_and_each_ends_by_cutoff_or_exhaustion():
    world = sim.world_build(ample(accept=0.0, decline=0.3, patients=40, per_day=2))
    assert world.slots

    for result in sim.simulate_here(world=world, policies=all_policies()):
        m = result["metrics"]
        assert m["cancellations"] == len(world.slots), result["name"]
        assert m["filled"] == 0, result["name"]
        assert m["offers"] > 0, result["name"]
        assert m["still_open"] == 0, result["name"]
        assert m["lost_to_cutoff"] + m["exhausted"] == m["cancellations"], result["name"]
