"""Inbound webhook under load, beside two floors measured on the same server in the same run.

gunicorn serves clinicbot (deploy/gunicorn.conf.py: 2 workers x 4 threads, production settings) on
a scratch PostgreSQL database holding a realistic waitlist and live slots with pending offers. A
load generator on loopback (Python threads, one keep-alive connection each) then sends, at each
concurrency level:

* `GET /healthz`             - no database: the ceiling of the stack itself,
* `POST /bench/one-row`      - one row written and committed (clinicbot/bench_views.py, mounted only
                               with CLINICBOT_BENCH_ENDPOINTS=1),
* `POST /webhooks/twilio/inbound/` - signed inbound texts, each a fresh MessageSid: YES, NO and an
                               unknown text from numbers holding an offer, HELP from any patient.

Workers and the timer are not running while it is timed (on two cores they would take CPU from the
web processes); the tasks the webhooks enqueue (one per text: its processing) wait in the broker.
After the timed runs one worker cluster is started and drains them (its rate is printed).

Invariants (exit 1 when broken): every signed webhook is answered 200; every one is stored exactly
once and processed by the task its webhook enqueued (no timer runs, so no sweeper); no slot has two
winners. With --strict, missed targets fail too (p99 <= 50 ms
at concurrency 8; webhook throughput >= 50 % of the one-row floor and >= 20 % of /healthz).

    .venv/bin/python -m bench.webhook_load
    .venv/bin/python -m bench.webhook_load --concurrency 8 --requests 500   # quick look
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
from pathlib import Path

from bench import common

INBOUND = "/webhooks/twilio/inbound/"
MIX = (("YES", 0.35, "Yes"), ("NO", 0.25, "No thanks"), ("unknown", 0.25, "is this for tuesday?"), ("HELP", 0.15, "HELP"))


def _webhook_requests(n: int, *, base_url: str, rng: random.Random) -> list[common.Req]:
    from messaging.models import PhoneNumber
    from offers.models import Offer

    offered = list(Offer.objects.filter(status=Offer.Status.PENDING).values_list("phone__e164", flat=True))
    anyone = list(PhoneNumber.objects.filter(consent_at__isnull=False).values_list("e164", flat=True)[:5000])
    if not offered:
        raise SystemExit("no pending offers to answer: seeding failed")
    reqs = []
    for _ in range(n):
        r, acc = rng.random(), 0.0
        tag, body = MIX[-1][0], MIX[-1][2]
        for kind, share, text in MIX:
            acc += share
            if r < acc:
                tag, body = kind, text
                break
        phone = rng.choice(anyone if tag == "HELP" else offered)
        reqs.append(common.signed_post(base_url, INBOUND, common.inbound_params(from_=phone, body=body), tag=tag))
    return reqs


def _one_row_requests(n: int) -> list[common.Req]:
    body = b"n=1"
    return [common.Req("POST", "/bench/one-row", body, {"Content-Type": "application/x-www-form-urlencoded"})] * n


def run(args) -> int:
    failures: list[str] = []
    levels = [int(c) for c in args.concurrency.split(",")]
    results: dict = {"machine": common.machine(), "command": " ".join(sys.argv), "levels": {}}
    print(f"machine: {results['machine']}; load average {common.load_average()}")
    results["load_average_start"] = common.load_average()
    port = common.free_port()
    base_url = f"http://127.0.0.1:{port}"
    logdir = Path(args.logdir)
    with common.scratch_database("webhook") as db_url, common.scratch_redis() as redis_url, \
            common.Processes(logdir) as procs, common.PeakRss(procs) as rss:
        env = common.clinic_env(db_url=db_url, redis_url=redis_url, broker=args.broker, public_base_url=base_url,
                                CLINICBOT_BENCH_ENDPOINTS="1")
        common.migrate(env)
        common.django_setup(env)
        from django.db.models import Count

        from bench import seed
        from messaging.models import Message
        from offers.models import Cancellation, Offer

        clinic = seed.seed_clinic()
        seed.seed_waitlist(clinic, args.entries)
        web = procs.web("web", env, port, workers=args.web_workers, threads=args.web_threads)
        common.wait_http(base_url + "/healthz", proc=web)
        rng = random.Random(11)
        # warm every worker thread's imports and connections
        common.run_load("127.0.0.1", port, [common.Req("GET", "/healthz")] * 200, concurrency=8,
                        max_seconds=30, label="warm-up")
        sent_sids: set[str] = set()
        for level_no, c in enumerate(levels):
            t = time.monotonic()
            slots = seed.open_offers(clinic, args.slots, seed=100 + level_no)
            print(f"\n== concurrency {c}: {len(slots)} new live slots, "
                  f"{Offer.objects.filter(status='pending').count()} pending offers "
                  f"(seeded in {time.monotonic() - t:.1f}s)")
            hooks = _webhook_requests(args.requests, base_url=base_url, rng=rng)
            plans = [
                ([common.Req("GET", "/healthz")] * args.floor_requests, "/healthz (no DB)"),
                (_one_row_requests(args.floor_requests), "one-row floor"),
                (hooks, "inbound webhook"),
            ]
            runs, cpu_ms = [], []
            for reqs, label in plans:
                before = common.tree_cpu_seconds(web.pid)
                runs.append(common.run_load("127.0.0.1", port, reqs, concurrency=c, max_seconds=args.max_seconds,
                                            label=label))
                cpu_ms.append((common.tree_cpu_seconds(web.pid) - before) * 1000 / max(1, runs[-1].done))
            # which webhooks went out (a time-bounded run may stop early): the first `done` of the list
            for req in hooks[: runs[2].done]:
                sent_sids.add(dict(p.split("=", 1) for p in req.body.decode().split("&"))["MessageSid"])
            for r, cpu in zip(runs, cpu_ms, strict=True):
                print(f"  {r.line()}  web CPU {cpu:5.2f} ms/req", flush=True)
            health, floor, hook = ({**r.summary(), "web_cpu_ms_per_request": round(cpu, 2)}
                                   for r, cpu in zip(runs, cpu_ms, strict=True))
            wrk = common.wrk_get("127.0.0.1", port, "/healthz", concurrency=c)
            if wrk is not None:
                print(f"  /healthz with wrk        c={c:<3d}        {wrk['rps']:8.1f} req/s  p50 {wrk['p50_ms']:6.1f}  "
                      f"p99 {wrk['p99_ms']:6.1f} ms  (the Python client's ceiling check)", flush=True)
                # compare with the higher of the two ceilings: a client-bound floor would flatter the webhook
                health = {**health, "rps_python_client": health["rps"], "wrk": wrk,
                          "rps": max(health["rps"], wrk["rps"] or 0)}
            level = {"healthz": health, "one_row": floor, "webhook": hook,
                     "webhook_vs_one_row": round(hook["rps"] / floor["rps"], 3) if floor["rps"] else None,
                     "webhook_vs_healthz": round(hook["rps"] / health["rps"], 3) if health["rps"] else None}
            results["levels"][c] = level
            print(f"  webhook throughput = {level['webhook_vs_one_row']:.0%} of the one-row floor, "
                  f"{level['webhook_vs_healthz']:.0%} of /healthz; by web CPU per request: "
                  f"{floor['web_cpu_ms_per_request'] / hook['web_cpu_ms_per_request']:.0%} and "
                  f"{health['web_cpu_ms_per_request'] / hook['web_cpu_ms_per_request']:.0%}")
            for r in runs:
                common.check(r.errors == 0, f"c={c} {r.label}: every request answered 200 ({dict(r.statuses)})",
                             failures)
        procs.kill("web")

        # The webhook stores each text and enqueues its processing: a worker now drains those tasks
        # (no timer, so no sweeper: every text must come through the task its webhook enqueued).
        print("\n== processing by a worker (manage.py qcluster) of the tasks the webhooks enqueued")
        inbound = Message.objects.filter(direction=Message.Direction.INBOUND)
        backlog = inbound.filter(processed_at__isnull=True).count()
        t = time.monotonic()
        procs.worker("worker", env)
        common.wait_until(lambda: not inbound.filter(processed_at__isnull=True).exists(), args.drain_seconds, 0.5)
        drained = time.monotonic() - t
        left = inbound.filter(processed_at__isnull=True).count()
        print(f"  {backlog - left} of {backlog} texts processed in {drained:.1f}s "
              f"({(backlog - left) / drained:.1f}/s, including the cluster's start)", flush=True)
        results["worker_drain"] = {"backlog": backlog, "processed": backlog - left, "seconds": round(drained, 1)}
        procs.kill("worker")
        results["memory"] = rss.report()

        print("\n== invariants")
        stored = set(inbound.values_list("provider_sid", flat=True))
        common.check(stored == sent_sids, f"every webhook stored exactly once ({len(stored)} stored, "
                     f"{len(sent_sids)} sent)", failures)
        common.check(not inbound.filter(processed_at__isnull=True).exists(), "every inbound text processed", failures)
        doubles = (Offer.objects.filter(status=Offer.Status.ACCEPTED).values("cancellation_id")
                   .annotate(n=Count("id")).filter(n__gt=1).count())
        common.check(doubles == 0, "no slot has two winners", failures)
        filled = Cancellation.objects.filter(status=Cancellation.Status.FILLED).count()
        print(f"  slots filled by the load: {filled}; intents: "
              f"{dict(collections.Counter(inbound.values_list('intent', flat=True)))}")

    print("\n== targets")
    first = results["levels"].get(8) or next(iter(results["levels"].values()))
    targets = [
        (first["webhook"]["p99_ms"] <= 50, f"webhook p99 <= 50 ms at c={first['webhook']['concurrency']}: "
                                            f"{first['webhook']['p99_ms']} ms"),
    ]
    for c, level in results["levels"].items():
        targets.append((level["webhook_vs_one_row"] >= 0.5,
                        f"c={c}: webhook >= 50 % of the one-row floor: {level['webhook_vs_one_row']:.0%}"))
        targets.append((level["webhook_vs_healthz"] >= 0.2,
                        f"c={c}: webhook >= 20 % of /healthz: {level['webhook_vs_healthz']:.0%}"))
    for met, what in targets:
        print(f"  {'met   ' if met else 'MISSED'} {what}")
        if args.strict and not met:
            failures.append(what)
    results["targets"] = [{"met": m, "what": w} for m, w in targets]
    results["load_average_end"] = common.load_average()
    print(f"load average at the end: {results['load_average_end']}")
    common.write_json(args.json, results)
    if failures:
        print(f"\n{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", default="8,32", help="comma-separated concurrency levels")
    parser.add_argument("--requests", type=int, default=2000, help="webhooks per level")
    parser.add_argument("--floor-requests", type=int, default=3000, help="requests per floor per level")
    parser.add_argument("--max-seconds", type=float, default=60, help="time bound of each timed run")
    parser.add_argument("--entries", type=int, default=20000, help="waitlist entries")
    parser.add_argument("--slots", type=int, default=300, help="live slots opened before each level")
    parser.add_argument("--broker", choices=["redis", "orm"], default="redis")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--drain-seconds", type=float, default=600,
                        help="time bound for the worker to process the stored texts after the timed runs")
    parser.add_argument("--logdir", default="var/bench/webhook_load", help="server logs")
    parser.add_argument("--strict", action="store_true", help="missed targets fail the run")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    common.exit_cleanly_on_sigterm()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
