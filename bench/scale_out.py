"""Scale-out: two web processes, two django-q2 clusters and the timer, over hundreds of cancellations.

For each broker (ORM, then Redis), on a fresh scratch PostgreSQL database with a realistic
waitlist: gunicorn x2 (deploy/gunicorn.conf.py) on two ports, `manage.py run_worker` (django-q2's cluster) x2,
`manage.py run_timer` x1, the Twilio stand-in, and simulated patients who answer every offer text
through signed webhooks spread over both web processes (YES, NO, an unknown text, or silence;
some webhooks posted twice at once), with a `delivered` status callback for every text.
--cancellations slots are logged through the product's service at --rate per second.

With the Redis broker one cluster is killed with SIGKILL mid-run and started again 5 s later.
django-q2's Redis broker has no delivery receipts: the tasks that cluster had taken from Redis are
gone. The run shows what recovers them: the timer starts due waves from the database state, and the
sweeper re-enqueues texts left queued for more than 30 s.

Invariants (exit 1 when broken), per broker: 0 texts sent twice (counted per text at the stand-in),
0 waves made twice, one winner per slot, every inbound webhook stored once and processed, every
offer resolved, every cancellation terminal.

    .venv/bin/python -m bench.scale_out                         # both brokers, 500 cancellations each
    .venv/bin/python -m bench.scale_out --brokers redis --cancellations 100
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import common, scenario


def run_broker(broker: str, args, failures: list[str]) -> dict:
    print(f"\n==== broker: {broker}", flush=True)
    web_ports = [common.free_port(), common.free_port()]
    base_url = f"http://127.0.0.1:{web_ports[0]}"
    logdir = Path(args.logdir) / broker
    out: dict = {"broker": broker}
    with common.scratch_database(f"scale_{broker}") as db_url, common.scratch_redis() as redis_url, \
            scenario.RecordingStandIn() as standin, common.Processes(logdir) as procs, common.PeakRss(procs) as rss:
        env = common.clinic_env(
            db_url=db_url, redis_url=redis_url, broker=broker, standin_url=standin.url, public_base_url=base_url,
            OFFER_HOLD_MINUTES=args.hold_minutes, OFFER_MIN_HOLD_MINUTES=1,
            # the simulated patients answer within seconds; limits meant for real phones would only hide work
            AUTO_REPLY_RATE_GLOBAL="100000/m", AUTO_REPLY_RATE_PER_NUMBER="1000/h",
        )
        common.migrate(env)
        common.django_setup(env)
        from bench import seed

        clinic = seed.seed_clinic()
        seed.seed_waitlist(clinic, args.entries, history=False)
        for i, port in enumerate(web_ports):
            procs.web(f"web{i + 1}", env, port, workers=args.web_workers, threads=args.web_threads)
        for i, port in enumerate(web_ports):
            common.wait_http(f"http://127.0.0.1:{port}/healthz", proc=procs.procs[f"web{i + 1}"])
        procs.worker("worker1", env)
        procs.worker("worker2", env)
        procs.timer("timer", env)
        patients = scenario.Patients(standin, web_ports, base_url, seed=7).start()
        watch = StrandedWatch()
        t0 = time.monotonic()
        n = args.cancellations
        if broker == "redis" and args.kill:
            # kill a cluster while it holds tasks: right after a burst of slots (their waves and texts)
            first = scenario.create_cancellations(clinic, int(n * 0.4), rate=args.rate, seed=1000)
            burst = scenario.create_cancellations(clinic, 10, rate=1000, seed=1500)
            time.sleep(0.5)
            procs.kill9("worker2")
            print(f"  kill -9 worker2 (its whole cluster) right after a burst of {len(burst)} slots", flush=True)
            threading.Timer(5.0, lambda: procs.worker("worker2", env)).start()
            watch.start()
            rest = scenario.create_cancellations(clinic, n - len(first) - len(burst), rate=args.rate, seed=2000)
            ids = first + burst + rest
        else:
            ids = scenario.create_cancellations(clinic, n, rate=args.rate, seed=1000)
        print(f"  {len(ids)} cancellations logged in {time.monotonic() - t0:.0f}s", flush=True)
        quiet = scenario.wait_for_quiet(standin, patients, timeout=args.timeout)
        elapsed = time.monotonic() - t0
        patients.stop()
        common.check(quiet, f"the run settled within {args.timeout:.0f}s (took {elapsed:.0f}s)", failures)
        print(f"  patients: {patients.summary()}", flush=True)
        out["figures"] = scenario.check_invariants(standin, patients, failures)
        out["patients"] = patients.summary()
        out["seconds_to_settle"] = round(elapsed, 1)
        if watch.series:
            watch.join(5)
            out["recovery"] = watch.figures()
            print(f"  after the kill: {out['recovery']} (series {watch.series})", flush=True)
        procs.stop_all()
        out["memory"] = rss.report()
        print(f"  figures: {out['figures']}", flush=True)
    return out


class StrandedWatch(threading.Thread):
    """After the kill: how many texts sit queued with no task behind them (created > 10 s ago, no
    retry scheduled), once a second, until none are left. The sweeper is what brings that to 0."""

    def __init__(self, limit: float = 180.0):
        super().__init__(daemon=True)
        self.limit, self.series, self.cleared_after = limit, [], None

    def run(self):
        import datetime as dt

        from django.db import connection

        from clinicbot.clock import now
        from messaging.models import Message

        start = time.monotonic()
        seen_any = False
        try:
            while time.monotonic() - start < self.limit:
                n = scenario.db_retry(lambda: Message.objects.filter(
                    direction=Message.Direction.OUTBOUND, send_state=Message.SendState.QUEUED,
                    next_attempt_at__isnull=True, created_at__lt=now() - dt.timedelta(seconds=10)).count())
                self.series.append(n)
                seen_any = seen_any or n > 0
                if seen_any and n == 0:
                    self.cleared_after = round(time.monotonic() - start, 1)
                    return
                time.sleep(1.0)
        finally:
            connection.close()

    def figures(self) -> dict:
        return {"stranded_texts_peak": max(self.series, default=0), "cleared_after_s": self.cleared_after}


def run(args) -> int:
    brokers = args.brokers.split(",")
    if len(brokers) > 1:
        # one process per broker: Django is configured once per process, on that run's database
        results = {"machine": common.machine(), "command": " ".join(sys.argv), "runs": []}
        rc = 0
        for broker in brokers:
            out = Path(args.logdir) / f"{broker}.json"
            child = [common.PY, "-m", "bench.scale_out", *strip_args(sys.argv[1:]), "--brokers", broker, "--json", str(out)]
            proc = subprocess.Popen(child, cwd=common.ROOT)
            try:
                rc = max(rc, proc.wait())
            except KeyboardInterrupt:
                # let the child clean up (kill its processes, drop its database) before we go
                proc.send_signal(signal.SIGINT)
                proc.wait(120)
                raise
            if out.exists():
                results["runs"].extend(json.loads(out.read_text())["runs"])
        common.write_json(args.json, results)
        return rc
    failures: list[str] = []
    results = {"machine": common.machine(), "command": " ".join(sys.argv), "runs": []}
    print(f"machine: {results['machine']}; load average {common.load_average()}")
    results["load_average_start"] = common.load_average()
    results["runs"].append(run_broker(brokers[0], args, failures))
    results["load_average_end"] = common.load_average()
    print(f"load average at the end: {results['load_average_end']}")
    common.write_json(args.json, results)
    if failures:
        print(f"\n{len(failures)} invariant(s) broken", file=sys.stderr)
        return 1
    print("\nall invariants held")
    return 0


def strip_args(argv: list[str]) -> list[str]:
    """The command line without --brokers and --json (each child gets its own)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--brokers", "--json"):
            skip = True
            continue
        if a.startswith(("--brokers=", "--json=")):
            continue
        out.append(a)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brokers", default="orm,redis")
    parser.add_argument("--cancellations", type=int, default=500)
    parser.add_argument("--rate", type=float, default=5.0, help="cancellations logged per second")
    parser.add_argument("--entries", type=int, default=30000, help="waitlist entries")
    parser.add_argument("--hold-minutes", type=int, default=1, help="offer hold (silent patients wait this long)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for every slot to end")
    parser.add_argument("--no-kill", dest="kill", action="store_false", help="Redis run: do not kill a cluster")
    parser.add_argument("--logdir", default="var/bench/scale_out")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    common.exit_cleanly_on_sigterm()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
