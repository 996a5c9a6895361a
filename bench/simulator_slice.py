r"""A slice of the fill simulator's large world, for side-by-side comparisons of engine changes or
of Python interpreters.

Builds the world of issue 10's performance run (20,000 patients, 100 providers, 8 locations, 500
cancellations a day) for the first --days days only, runs one policy over it on a scratch SQLite file
(deleted afterwards), and prints the process's CPU seconds for the simulation, the SQL statements
per service, and a digest of the policy's metrics and series: two runs that print the same digest
made the same offers, texts and fills. The figure is CPU time, which other work on the machine
moves less than wall time but still by a few per cent: start the two runs of a comparison together
so they share whatever else runs, and compare only runs made on one machine.

    .venv/bin/python -m bench.simulator_slice --days 1                      # this tree, this interpreter
    # two interpreters, side by side (the second borrows the venv's packages: same 3.11 ABI):
    .venv/bin/python -m bench.simulator_slice --days 1 --json a.json &
    PYTHONPATH=.venv/lib/python3.11/site-packages ~/.pyenv/versions/3.11.7/bin/python \
        -m bench.simulator_slice --days 1 --json b.json &
    # two trees: run the command from each checkout (git worktree add /tmp/old <rev>)

It never touches the configured database (the simulator's scratch files, deleted afterwards).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _interpreter() -> dict:
    maps = Path("/proc/self/maps")
    return {
        "executable": sys.executable,
        "version": platform.python_version(),
        # pyenv's default build runs on a shared libpython, without --enable-optimizations (its
        # CONFIG_ARGS); Debian's binary has libpython linked in and is built with PGO and LTO (its
        # changelog: it strips those flags from sysconfig, so they cannot be read back here)
        "shared_libpython": maps.exists() and "libpython" in maps.read_text(),
        "config_args": str(sysconfig.get_config_var("CONFIG_ARGS") or "")[:300],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--policy", default="ours", choices=["reference", "nexhealth", "ours"])
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--providers", type=int, default=100)
    parser.add_argument("--locations", type=int, default=8)
    parser.add_argument("--per-day", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicbot.settings")
    import django

    django.setup()
    from offers import simulation as sim

    config = sim.SimConfig(patients=args.patients, providers=args.providers, locations=args.locations,
                           per_day=args.per_day, days=args.days, seed=args.seed)
    cpu0 = time.process_time()
    world = sim.world_build(config)
    # the simulator's own scratch handling (template file, copy, deletion), in this process
    results, _where = sim.simulate(world=world, policies=[sim.default_policies()[args.policy]], jobs=1)
    result = results[0]
    # everything but the policy's run: building the world, migrating and filling the scratch file
    world_cpu = time.process_time() - cpu0 - result["run"]["simulate_cpu_seconds"]
    digest = hashlib.sha256(
        json.dumps([result["metrics"], result["series"]], sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    figures = {
        "interpreter": _interpreter(),
        "tree": str(ROOT),
        "slice": {"days": args.days, "policy": args.policy, "patients": args.patients, "per_day": args.per_day},
        "world_cpu_seconds": round(world_cpu, 2),
        "simulate_cpu_seconds": result["run"]["simulate_cpu_seconds"],
        "simulate_seconds": result["run"]["simulate_seconds"],
        "queries": result["run"]["queries"],
        "offers": result["metrics"]["offers"],
        "texts": result["metrics"]["texts"],
        "filled": result["metrics"]["filled"],
        "digest": digest,
        "load_average": os.getloadavg(),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
