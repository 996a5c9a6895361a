import pytest

from offers import simulation as sim
from tests.simulation._worlds import all_policies, ample

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_slot_is_filled_by_its_first_wave_when_every_patient_says_yes():
    world = sim.world_build(ample(accept=1.0, decline=0.0))
    assert world.slots

    for result in sim.simulate_here(world=world, policies=all_policies()):
        m = result["metrics"]
        assert m["cancellations"] == len(world.slots), result["name"]
        assert m["filled"] == m["cancellations"], result["name"]
        assert m["filled_in_first_wave"] == m["cancellations"], result["name"]
        assert m["lost_to_cutoff"] == m["exhausted"] == 0
        # one winner per slot; every other first-wave patient was told it was taken
        assert m["accepted_share_of_offers"] == pytest.approx(m["filled"] / m["offers"], abs=1e-4)
