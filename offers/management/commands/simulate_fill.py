"""Run the real offer engine against simulated patients and compare wave policies (docs/SIMULATION.md).

Never touches the configured database: each policy runs on a scratch SQLite file made from a
freshly migrated template (deleted afterwards unless --keep-db), or on --database-url, whose name
must contain "sim" because it is emptied."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError

from offers import simulation as sim

DEFAULTS = sim.SimConfig()


class Command(BaseCommand):
    help = "Simulate filling cancellations with the real engine and compare wave policies."

    def add_arguments(self, parser):
        w = parser.add_argument_group("the simulated clinic")
        w.add_argument("--seed", type=int, default=DEFAULTS.seed, help="same seed, same world and same table (default %(default)s)")
        w.add_argument("--days", type=int, default=DEFAULTS.days, help="days on which cancellations are logged (default %(default)s)")
        w.add_argument("--per-day", type=int, default=DEFAULTS.per_day, help="cancellations logged a day (default %(default)s)")
        w.add_argument("--patients", type=int, default=DEFAULTS.patients, help="waitlisted patients (default %(default)s)")
        w.add_argument("--locations", type=int, default=DEFAULTS.locations, help="(default %(default)s)")
        w.add_argument("--providers", type=int, default=DEFAULTS.providers, help="(default %(default)s)")
        w.add_argument("--same-day", type=float, default=DEFAULTS.same_day_share,
                       help="share of cancellations logged on a clinic day that are for later that day "
                            "(default %(default)s)")
        w.add_argument("--next-day", type=float, default=DEFAULTS.next_day_share,
                       help="share for the next clinic day; the rest are 2 days to --max-lead-days ahead (default %(default)s)")
        w.add_argument("--max-lead-days", type=int, default=DEFAULTS.max_lead_days, help="(default %(default)s: 3 weeks)")
        w.add_argument("--preferences", type=float, default=DEFAULTS.preferences,
                       help="scales the share of entries with each restriction; 0 = nobody has any (default %(default)s)")
        w.add_argument("--current-appointments", type=float, default=DEFAULTS.current_appointments,
                       help="share of patients already booked later (default %(default)s)")
        w.add_argument("--shared-phones", type=float, default=DEFAULTS.shared_phones,
                       help="share of patients sharing a family number (default %(default)s)")
        w.add_argument("--start", default=DEFAULTS.start.isoformat(), help="first simulated day (default %(default)s)")
        w.add_argument("--time-zone", default=DEFAULTS.time_zone, help="(default %(default)s)")
        w.add_argument("--no-priority-refresh", action="store_true",
                       help="skip the timer's daily priority refresh (faster, less faithful)")
        p = parser.add_argument_group("simulated patients")
        p.add_argument("--accept", type=float, default=DEFAULTS.accept,
                       help="probability a patient answers an offer YES (default %(default)s: Sutter Health, JMIR 2020)")
        p.add_argument("--decline", type=float, default=DEFAULTS.decline, help="probability of NO (default %(default)s)")
        p.add_argument("--opt-out", type=float, default=DEFAULTS.opt_out, help="probability of STOP (default %(default)s)")
        p.add_argument("--reply-median", type=float, default=DEFAULTS.reply_median_minutes,
                       help="median reply delay in minutes (default %(default)s)")
        p.add_argument("--reply-sigma", type=float, default=DEFAULTS.reply_sigma,
                       help="log-normal shape of the reply delay (default %(default)s)")
        p.add_argument("--reply-distribution", default=DEFAULTS.reply_distribution,
                       choices=("lognormal", "exponential", "fixed"), help="(default %(default)s)")
        q = parser.add_argument_group("policies")
        q.add_argument("--policies", default="reference,nexhealth,ours", help="comma-separated (default %(default)s)")
        q.add_argument("--reference-batch", type=int, default=3, help="(default %(default)s)")
        q.add_argument("--reference-hold", type=int, default=7, help="minutes (default %(default)s)")
        q.add_argument("--reference-timer", type=float, default=30.0,
                       help="seconds between the reference's expiry checks (default %(default)s)")
        q.add_argument("--nexhealth-batch", type=int, default=10, help="(default %(default)s)")
        q.add_argument("--nexhealth-hold", type=int, default=5, help="minutes (default %(default)s)")
        q.add_argument("--ours-batch", type=int, default=None, help="(default: OFFER_BATCH_SIZE)")
        q.add_argument("--ours-hold", type=int, default=None, help="minutes (default: OFFER_HOLD_MINUTES)")
        o = parser.add_argument_group("running and output")
        o.add_argument("--database-url", default="",
                       help="run on this database instead of scratch SQLite files; it is emptied, so its name must contain 'sim'")
        o.add_argument("--jobs", type=int, default=0,
                       help="policies run in parallel processes (scratch SQLite only; default: one per policy)")
        o.add_argument("--keep-db", default="", help="keep the scratch SQLite files in this directory")
        o.add_argument("--json", default="", help="also write the figures as JSON here")
        o.add_argument("--svg", default="", help="also write the chart here")
        o.add_argument("--latest-dir", default=str(sim.LATEST_DIR),
                       help="where latest.json and latest.svg are written for the admin metrics page (default %(default)s)")

    def handle(self, *args, **opts):
        import datetime as dt

        try:
            config = sim.SimConfig(
                seed=opts["seed"], days=opts["days"], per_day=opts["per_day"], patients=opts["patients"],
                locations=opts["locations"], providers=opts["providers"], accept=opts["accept"],
                decline=opts["decline"], opt_out=opts["opt_out"], reply_median_minutes=opts["reply_median"],
                reply_sigma=opts["reply_sigma"], reply_distribution=opts["reply_distribution"],
                same_day_share=opts["same_day"], next_day_share=opts["next_day"], max_lead_days=opts["max_lead_days"],
                preferences=opts["preferences"], current_appointments=opts["current_appointments"],
                shared_phones=opts["shared_phones"], start=dt.date.fromisoformat(opts["start"]),
                time_zone=opts["time_zone"], refresh_priorities=not opts["no_priority_refresh"],
            )
            config.check()
        except ValueError as exc:
            raise CommandError(f"--start: {exc}") from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        available = sim.default_policies(
            reference_batch=opts["reference_batch"], reference_hold=opts["reference_hold"],
            reference_timer=opts["reference_timer"], nexhealth_batch=opts["nexhealth_batch"],
            nexhealth_hold=opts["nexhealth_hold"], ours_batch=opts["ours_batch"], ours_hold=opts["ours_hold"],
        )
        names = [n.strip() for n in opts["policies"].split(",") if n.strip()]
        unknown = [n for n in names if n not in available]
        if unknown or not names:
            raise CommandError(f"--policies: choose from {', '.join(available)} (got {opts['policies']!r})")
        for n in names:
            pol = available[n]
            if (pol.batch is not None and pol.batch < 1) or (pol.hold_minutes is not None and pol.hold_minutes < 1) or pol.timer_seconds <= 0:
                raise CommandError(f"policy {n}: batch, hold and timer must be positive")

        started = time.perf_counter()
        world = sim.world_build(config)
        self._say(f"world: {len(world.patients)} patients, {len(world.phones)} numbers, {len(world.slots)} cancellations "
                  f"over {config.days} days; policies: {', '.join(names)}")
        try:
            results, database = sim.simulate(
                world=world, policies=[available[n] for n in names], database_url=opts["database_url"] or None,
                jobs=1 if opts["database_url"] else (opts["jobs"] or len(names)), keep_dir=Path(opts["keep_db"]) if opts["keep_db"] else None,
                progress=self._say,
            )
        except (ImproperlyConfigured, sim.SimulationError) as exc:
            raise CommandError(str(exc)) from None
        command = "python manage.py simulate_fill" + "".join(" " + shlex.quote(a) for a in sys.argv[2:]) if (
            len(sys.argv) > 1 and sys.argv[1] == "simulate_fill") else "python manage.py simulate_fill"
        report = sim.report_build(world=world, results=results, command=command, database=database,
                                  seconds=time.perf_counter() - started)
        table = sim.table_markdown(report)
        self.stdout.write(table)
        text = json.dumps(report, indent=1, sort_keys=False) + "\n"
        svg = sim.chart_svg(report)
        written = []
        for path, body in ((opts["json"], text), (opts["svg"], svg)):
            if path:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                Path(path).write_text(body)
                written.append(path)
        if opts["latest_dir"]:
            latest = Path(opts["latest_dir"])
            latest.mkdir(parents=True, exist_ok=True)
            (latest / "latest.json").write_text(text)
            (latest / "latest.svg").write_text(svg)
            written += [str(latest / "latest.json"), str(latest / "latest.svg")]
        self._say(f"done in {report['run']['seconds']:.1f} s on {database}; wrote {', '.join(written)}")

    def _say(self, line: str) -> None:
        self.stderr.write(line)
