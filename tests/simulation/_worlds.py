"""Small simulated clinics for the simulator's tests (seconds, not minutes)."""

from __future__ import annotations

from offers import simulation as sim


def ample(**overrides) -> sim.SimConfig:
    """A clinic where every slot has plenty of eligible patients: nobody restricts days, times,
    providers or notice, nobody is already booked, and the list is large for the few slots."""
    values = dict(
        seed=7, days=2, per_day=3, patients=500, providers=2, locations=1, preferences=0.0,
        current_appointments=0.0, shared_phones=0.0, max_lead_days=3, opt_out=0.0,
        reply_distribution="fixed", reply_median_minutes=1.0,
    )
    values.update(overrides)
    return sim.SimConfig(**values)


def all_policies() -> list[sim.Policy]:
    return list(sim.default_policies().values())
