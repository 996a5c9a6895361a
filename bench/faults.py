"""Faults: clinicbot keeps its promises while its parts fail.

One deployment (gunicorn, one django-q2 cluster, the timer, the Twilio stand-in, simulated patients
answering through signed webhooks) works through --cancellations freed slots while, in turn:

1. kill -9 of the worker cluster mid-wave (right after a burst of slots is logged), restarted 3 s later;
2. the Twilio stand-in answers HTTP 500 for --fail-seconds, then 429 for as long;
3. PostgreSQL restarts mid-run. By default a private PostgreSQL instance made for this run (so the
   machine's cluster, which others may be using, is not disturbed); `--pg main` restarts the
   machine's cluster instead (`pg_ctlcluster --skip-systemctl-redirect 15 main restart`) and
   makes sure it is running again at the end;
4. once everything has settled: a replay storm of --replays duplicated inbound webhooks (the same
   MessageSid and signature, 16 at a time), which must change nothing.

Afterwards (exit 1 when broken): every inbound recorded once and processed, every offer resolved,
every cancellation terminal, nothing sent twice, no wave made twice, one winner per slot, and the
replay storm changed no row and sent no text.

    .venv/bin/python -m bench.faults
    .venv/bin/python -m bench.faults --cancellations 60 --broker orm
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from bench import common, scenario


def run(args) -> int:
    failures: list[str] = []
    results: dict = {"machine": common.machine(), "command": " ".join(sys.argv), "faults": {}}
    print(f"machine: {results['machine']}; load average {common.load_average()}")
    results["load_average_start"] = common.load_average()
    pg = scenario.PrivatePostgres() if args.pg == "private" else scenario.MainPostgres()
    print(f"PostgreSQL to restart: {pg.describe}")
    web_ports = [common.free_port()]
    base_url = f"http://127.0.0.1:{web_ports[0]}"
    try:
        with common.scratch_database("faults", admin_url=pg.url) as db_url, common.scratch_redis() as redis_url, \
                scenario.RecordingStandIn() as standin, common.Processes(Path(args.logdir)) as procs, \
                common.PeakRss(procs) as rss:
            env = common.clinic_env(
                db_url=db_url, redis_url=redis_url, broker=args.broker, standin_url=standin.url,
                public_base_url=base_url, OFFER_HOLD_MINUTES=args.hold_minutes, OFFER_MIN_HOLD_MINUTES=1,
                AUTO_REPLY_RATE_GLOBAL="100000/m", AUTO_REPLY_RATE_PER_NUMBER="1000/h",
            )
            common.migrate(env)
            common.django_setup(env)
            from bench import seed

            clinic = seed.seed_clinic()
            seed.seed_waitlist(clinic, args.entries, history=False)
            web = procs.web("web", env, web_ports[0])
            common.wait_http(base_url + "/healthz", proc=web)
            procs.worker("worker", env)
            procs.timer("timer", env)
            patients = scenario.Patients(standin, web_ports, base_url, seed=3).start()
            n = args.cancellations
            log = results["faults"]
            t0 = time.monotonic()

            def at(fraction: float) -> int:
                return max(1, int(n * fraction))

            # 1. kill -9 the worker cluster mid-wave
            scenario.create_cancellations(clinic, at(0.2), rate=args.rate, seed=2000)
            burst = scenario.create_cancellations(clinic, 10, rate=1000, seed=2500)
            time.sleep(0.3)
            procs.kill9("worker")
            print(f"  [{time.monotonic() - t0:5.1f}s] kill -9 of the worker cluster right after {len(burst)} slots "
                  f"were logged at once", flush=True)
            log["worker_kill"] = {"at_s": round(time.monotonic() - t0, 1)}
            threading.Timer(3.0, lambda: procs.worker("worker", env)).start()

            # 2. Twilio answering 500, then 429
            scenario.create_cancellations(clinic, at(0.2), rate=args.rate, seed=3000)
            print(f"  [{time.monotonic() - t0:5.1f}s] stand-in answers 500 for {args.fail_seconds}s, "
                  f"then 429 for {args.fail_seconds}s", flush=True)
            standin.fail_for(args.fail_seconds, status=500)
            scenario.create_cancellations(clinic, at(0.1), rate=args.rate, seed=4000)
            time.sleep(max(0.0, args.fail_seconds - at(0.1) / args.rate))
            standin.fail_for(args.fail_seconds, status=429)
            scenario.create_cancellations(clinic, at(0.1), rate=args.rate, seed=5000)
            time.sleep(max(0.0, args.fail_seconds - at(0.1) / args.rate))
            log["twilio_errors"] = {"refused": dict(standin.refused)}

            # 3. PostgreSQL restart
            scenario.create_cancellations(clinic, at(0.15), rate=args.rate, seed=6000)
            took = pg.restart()
            print(f"  [{time.monotonic() - t0:5.1f}s] PostgreSQL restarted ({took:.1f}s)", flush=True)
            log["postgres_restart"] = {"seconds": round(took, 1)}
            scenario.create_cancellations(clinic, max(0, n - scenario.db_retry(_count_cancellations)), rate=args.rate,
                                          seed=7000)

            settled = scenario.wait_for_quiet(standin, patients, timeout=args.timeout)
            common.check(settled, f"everything settled within {args.timeout:.0f}s "
                         f"(took {time.monotonic() - t0:.0f}s)", failures)

            # 4. replay storm, on a quiet system: nothing may change
            before = scenario.db_retry(scenario.state_fingerprint)
            sent_before = len(standin.accepted)
            t = time.monotonic()
            statuses = scenario.replay_storm(patients, args.replays)
            storm_s = time.monotonic() - t
            time.sleep(3)
            after = scenario.db_retry(scenario.state_fingerprint)
            print(f"  replay storm: {args.replays} duplicated webhooks in {storm_s:.1f}s, answers {dict(statuses)}",
                  flush=True)
            log["replay_storm"] = {"webhooks": args.replays, "seconds": round(storm_s, 1), "answers": dict(statuses)}
            common.check(statuses.get(200, 0) == args.replays, "every replayed webhook answered 200", failures)
            common.check(before == after, "the replay storm changed no row (messages, audit, offers, slots)",
                         failures)
            common.check(len(standin.accepted) == sent_before, "the replay storm sent no text", failures)

            patients.stop()
            print(f"  patients: {patients.summary()}", flush=True)
            print("\n== invariants after all faults")
            results["figures"] = scenario.check_invariants(standin, patients, failures)
            results["patients"] = patients.summary()
            procs.stop_all()
            results["memory"] = rss.report()
            print(f"  figures: {results['figures']}")
    finally:
        pg.close()
    results["load_average_end"] = common.load_average()
    print(f"load average at the end: {results['load_average_end']}")
    common.write_json(args.json, results)
    if failures:
        print(f"\n{len(failures)} invariant(s) broken", file=sys.stderr)
        return 1
    print("\nall invariants held")
    return 0


def _count_cancellations() -> int:
    from offers.models import Cancellation

    return Cancellation.objects.count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cancellations", type=int, default=150)
    parser.add_argument("--rate", type=float, default=3.0, help="cancellations logged per second")
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--broker", choices=["redis", "orm"], default="redis")
    parser.add_argument("--pg", choices=["private", "main"], default="private",
                        help="which PostgreSQL to restart (main disturbs others using the machine's cluster)")
    parser.add_argument("--fail-seconds", type=float, default=8.0, help="length of each Twilio failure window")
    parser.add_argument("--replays", type=int, default=1000)
    parser.add_argument("--hold-minutes", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--logdir", default="var/bench/faults")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    common.exit_cleanly_on_sigterm()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
