"""docs/SIMULATION.md: 35 % of the cancellations logged on a clinic day are for later that same day,
25 % for the next clinic day, the rest 2-21 days ahead. The lead time used to be drawn again on every
failed placement, so a same-day draw that did not fit (logged late in the afternoon) mostly came back
as a later slot, and the world had about a quarter same-day slots on clinic days, not 35 %."""

import datetime as dt
import zoneinfo

import pytest

from offers import simulation as sim


def _shares(seed: int) -> dict[str, float]:
    world = sim.world_build(sim.SimConfig(seed=seed))
    tz = zoneinfo.ZoneInfo(world.config.time_zone)
    kinds = {"same": 0, "other": 0}
    for slot in world.slots:
        logged, starts = slot.logged_at.astimezone(tz), slot.start_at.astimezone(tz)
        if logged.weekday() < 5:
            kinds["same" if starts.date() == logged.date() else "other"] += 1
    total = sum(kinds.values())
    return {k: v / total for k, v in kinds.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_about_35_percent_of_cancellations_logged_on_a_clinic_day_are_for_that_day(seed):
    # 392 such slots per world: 35 % +- 5 points is well beyond three standard deviations of chance
    assert 0.30 <= _shares(seed)["same"] <= 0.40


def test_a_same_day_slot_starts_after_the_cutoff_and_margin_from_its_logging():
    world = sim.world_build(sim.SimConfig(seed=1))
    tz = zoneinfo.ZoneInfo(world.config.time_zone)
    for slot in world.slots:
        if slot.start_at.astimezone(tz).date() == slot.logged_at.astimezone(tz).date():
            assert slot.start_at - slot.logged_at >= dt.timedelta(minutes=60)
