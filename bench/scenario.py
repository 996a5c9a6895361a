"""A whole clinicbot deployment under traffic, for bench/scale_out.py and bench/faults.py.

* `RecordingStandIn`: the Twilio stand-in (bench/twilio_standin.py) that also records what it
  *answered*, so a text accepted twice is seen even when an attempt in between failed.
* `Patients`: plays the patients and Twilio's side of the webhooks. It answers each offer text
  (YES, NO, an unknown text, or silence), posts a `delivered` status callback for every accepted
  send, sometimes posts the same inbound webhook twice at once (Twilio's retries), and retries a
  webhook that was not answered 200 with the same MessageSid and signature, as Twilio's connection
  overrides (`#rc=`) do.
* `PrivatePostgres` / `MainPostgres`: a PostgreSQL that may be restarted mid-run.
* `check_invariants`: every inbound stored once and processed, nothing sent twice, no wave made
  twice, one winner per slot, every offer resolved, every slot terminal.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import http.client
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import common
from bench.twilio_standin import StandIn, _Handler, _Server

OFFER_MARKS = ("Reply YES", "Responda SI")


# --- the Twilio stand-in, recording its answers ------------------------------------------------------


class _RecordingHandler(_Handler):
    def _json(self, status, payload):
        if status == 201:
            with self.server.lock:
                self.server.accepted.append((time.monotonic(), payload["sid"], payload["to"], payload["body"]))
        else:
            with self.server.lock:
                self.server.refused[status] += 1
        return super()._json(status, payload)


class _RecordingServer(_Server):
    def __init__(self, addr):
        super().__init__(addr)
        self.RequestHandlerClass = _RecordingHandler
        self.accepted: list[tuple[float, str, str, str]] = []
        self.refused: collections.Counter[int] = collections.Counter()


class RecordingStandIn(StandIn):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.server = _RecordingServer((host, port))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def accepted_since(self, index: int) -> list[tuple[float, str, str, str]]:
        with self.server.lock:
            return list(self.server.accepted[index:])

    @property
    def accepted(self) -> list[tuple[float, str, str, str]]:
        return self.accepted_since(0)

    @property
    def refused(self) -> collections.Counter:
        with self.server.lock:
            return collections.Counter(self.server.refused)


# --- patients and Twilio's webhooks -------------------------------------------------------------------


class Patients:
    """Answers offer texts through the webhooks of the given web ports, like phones and Twilio would."""

    def __init__(self, standin: RecordingStandIn, web_ports: list[int], public_base_url: str, *, seed: int = 5,
                 yes: float = 0.45, no: float = 0.35, unknown: float = 0.1, duplicate: float = 0.05,
                 callbacks: bool = True, reply_delay: tuple[float, float] = (0.2, 2.5), max_attempts: int = 40):
        self.standin, self.ports, self.base = standin, web_ports, public_base_url
        self.rng = random.Random(seed)
        self.p = (yes, no, unknown)
        self.duplicate, self.callbacks, self.reply_delay, self.max_attempts = duplicate, callbacks, reply_delay, max_attempts
        self.lock = threading.Lock()
        self.heap: list[tuple[float, int, dict]] = []
        self.seq = 0
        self.seen = 0
        self.inbound_sids: set[str] = set()  # every inbound MessageSid posted
        self.inbound_acked: set[str] = set()  # answered 200 at least once
        self.inbound_given_up: set[str] = set()
        self.inbound_log: list[tuple[str, dict]] = []  # (path, params) of inbound webhooks, for replays
        self.posts = collections.Counter()
        self.statuses = collections.Counter()
        self.replies = collections.Counter()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=12)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._local = threading.local()

    # scheduling
    def _schedule(self, delay: float, job: dict) -> None:
        with self.lock:
            self.seq += 1
            heapq.heappush(self.heap, (time.monotonic() + delay, self.seq, job))

    def _run(self):
        while not self._stop.is_set():
            for _t, _sid, to, body in self.standin.accepted_since(self.seen):
                self.seen += 1
                self._on_text(to, body, _sid)
            now = time.monotonic()
            due = []
            with self.lock:
                while self.heap and self.heap[0][0] <= now:
                    due.append(heapq.heappop(self.heap)[2])
            for job in due:
                self._pool.submit(self._post, job)
            time.sleep(0.02)

    def _on_text(self, to: str, body: str, sid: str) -> None:
        if self.callbacks:
            params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": common.ACCOUNT_SID, "To": to,
                      "From": "+13125550000", "ApiVersion": "2010-04-01"}
            self._schedule(self.rng.uniform(0.1, 1.0), {"path": "/webhooks/twilio/status/", "params": params,
                                                         "attempt": 0, "kind": "status"})
        if not any(mark in body for mark in OFFER_MARKS):
            return
        r = self.rng.random()
        yes, no, unknown = self.p
        spanish = "Responda SI" in body
        if r < yes:
            text, kind = ("SI" if spanish else "YES"), "YES"
        elif r < yes + no:
            text, kind = "NO", "NO"
        elif r < yes + no + unknown:
            text, kind = "which clinic is this?", "unknown"
        else:
            self.replies["silent"] += 1
            return
        self.replies[kind] += 1
        params = common.inbound_params(from_=to, body=text)
        job = {"path": "/webhooks/twilio/inbound/", "params": params, "attempt": 0, "kind": "inbound"}
        delay = self.rng.uniform(*self.reply_delay)
        self._schedule(delay, job)
        if self.rng.random() < self.duplicate:  # Twilio sending the same webhook twice, at once
            self._schedule(delay, dict(job))

    # HTTP
    def _conn(self, port: int) -> http.client.HTTPConnection:
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        if port not in conns:
            conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        return conns[port]

    def post(self, path: str, params: dict, port: int | None = None) -> int:
        req = common.signed_post(self.base, path, params)
        port = port or self.rng.choice(self.ports)
        conn = self._conn(port)
        for fresh in (conn.sock is None, True):
            try:
                conn.request("POST", path, body=req.body, headers=req.headers)
                resp = conn.getresponse()
                resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                return resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                if fresh:
                    return -1
                # the server closed an idle keep-alive connection: Twilio would simply connect anew
        return -1

    def _post(self, job: dict) -> None:
        params = job["params"]
        inbound = job["kind"] == "inbound"
        if inbound:
            with self.lock:
                if params["MessageSid"] not in self.inbound_sids:
                    self.inbound_sids.add(params["MessageSid"])
                    self.inbound_log.append((job["path"], params))
        status = self.post(job["path"], params)
        with self.lock:
            self.posts[(job["kind"], status)] += 1
            if status == 200:
                if inbound:
                    self.inbound_acked.add(params["MessageSid"])
                return
        job = {**job, "attempt": job["attempt"] + 1}
        if job["attempt"] >= self.max_attempts:
            if inbound:
                with self.lock:
                    self.inbound_given_up.add(params["MessageSid"])
            return
        self._schedule(min(3.0, 0.25 * 2 ** job["attempt"]), job)

    def pending(self) -> int:
        with self.lock:
            return len(self.heap)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self._pool.shutdown(wait=True)

    def summary(self) -> dict:
        with self.lock:
            return {
                "replies": dict(self.replies),
                "webhook_posts": {f"{k}:{s}": n for (k, s), n in sorted(self.posts.items(), key=str)},
                "inbound_sent": len(self.inbound_sids),
                "inbound_acked": len(self.inbound_acked),
                "inbound_given_up": len(self.inbound_given_up),
            }


def replay_storm(patients: Patients, count: int, concurrency: int = 16) -> collections.Counter:
    """Post `count` copies of inbound webhooks already delivered (same MessageSid, same signature)."""
    with patients.lock:
        pool = list(patients.inbound_log)
    rng = random.Random(99)
    picks = [rng.choice(pool) for _ in range(count)]
    statuses: collections.Counter[int] = collections.Counter()
    lock = threading.Lock()

    def go(item):
        path, params = item
        status = patients.post(path, params)
        with lock:
            statuses[status] += 1

    with ThreadPoolExecutor(max_workers=concurrency) as ex:
        list(ex.map(go, picks))
    return statuses


# --- PostgreSQL that can be restarted --------------------------------------------------------------------


def _pg_bin() -> Path:
    for version in ("17", "16", "15", "14", "13"):
        path = Path(f"/usr/lib/postgresql/{version}/bin")
        if (path / "pg_ctl").exists():
            return path
    raise SystemExit("pg_ctl not found (apt-get install postgresql)")


class PrivatePostgres:
    """A throwaway PostgreSQL instance (initdb in a temporary folder, its own port, trust auth on
    127.0.0.1): restarting it disturbs nobody else using the machine's cluster."""

    def __init__(self):
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="clinicbot-bench-pg-"))
        self.port = common.free_port()
        self.data = self.dir / "data"
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                           "--no-sync", "-E", "UTF8"])
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                       "max_connections = 200\nfsync = on\nshared_buffers = 128MB\n")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.start()

    def _as_postgres(self, argv: list[str]) -> None:
        cmd = argv if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _ctl(self, *args: str) -> None:
        self._as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", *args])

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> float:
        t = time.monotonic()
        self._ctl("restart", "-m", "fast")
        return time.monotonic() - t

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    describe = "a private PostgreSQL instance (pg_ctl restart -m fast)"


class MainPostgres:
    """The machine's cluster, restarted as the issue describes (disturbs anyone else using it)."""

    def __init__(self, version: str = "15", cluster: str = "main"):
        self.version, self.cluster = version, cluster
        self.url = common.PG_ADMIN_URL
        self.describe = f"the machine's cluster (pg_ctlcluster {version} {cluster} restart)"

    def restart(self) -> float:
        t = time.monotonic()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.cluster, "restart"], check=True)
        return time.monotonic() - t

    def close(self) -> None:
        # whatever happened, leave it running
        probe = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False)
        if probe.returncode != 0:
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.cluster, "start"],
                           check=False)


# --- running a deployment --------------------------------------------------------------------------------


def create_cancellations(clinic, n: int, *, rate: float, seed: int, on_progress=None) -> list[int]:
    """Log `n` freed slots through the product's service at `rate` per second (their first waves are
    enqueued to the broker, as when staff log them). Retries across a database restart."""
    from django.db import InterfaceError, OperationalError, close_old_connections

    from bench import seed as seeding

    ids: list[int] = []
    start = time.monotonic()
    batch_seed = seed
    while len(ids) < n:
        try:
            made = seeding.open_cancellations(clinic, 1, seed=batch_seed, hours_ahead=(3, 40))
        except (OperationalError, InterfaceError):
            close_old_connections()
            time.sleep(0.5)
            continue
        batch_seed += 1
        ids.extend(c.pk for c in made)
        if on_progress is not None:
            on_progress(len(ids))
        ahead = start + len(ids) / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    return ids


def db_retry(fn, attempts: int = 60):
    """Run a read in the bench process, riding out a database restart."""
    from django.db import InterfaceError, OperationalError, close_old_connections

    for i in range(attempts):
        try:
            return fn()
        except (OperationalError, InterfaceError):
            close_old_connections()
            if i == attempts - 1:
                raise
            time.sleep(0.5)


def all_terminal() -> bool:
    from offers.models import Cancellation, Offer

    return not Cancellation.objects.filter(status__in=Cancellation.ACTIVE).exists() and not Offer.objects.filter(
        status=Offer.Status.PENDING).exists()


def outbox_settled() -> bool:
    from messaging.models import Message

    return not Message.objects.filter(direction=Message.Direction.OUTBOUND,
                                      send_state=Message.SendState.QUEUED).exists()


def wait_for_quiet(standin: RecordingStandIn, patients: Patients, timeout: float) -> bool:
    """Every slot terminal, the outbox empty, no webhook waiting, and nothing new sent for 3 s."""
    deadline = time.monotonic() + timeout
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(standin.accepted)
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        done = db_retry(lambda: all_terminal() and outbox_settled())
        if done and patients.pending() == 0 and time.monotonic() - last_change > 3:
            return True
        time.sleep(0.5)
    return False


def state_fingerprint() -> dict:
    """Counts that any state change would move (for 'a replay changed nothing')."""
    from core.models import AuditEvent
    from messaging.models import Message
    from offers.models import Cancellation, Offer

    return {
        "messages": Message.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "offers": dict(collections.Counter(Offer.objects.values_list("status", flat=True))),
        "cancellations": dict(collections.Counter(Cancellation.objects.values_list("status", flat=True))),
    }


def check_invariants(standin: RecordingStandIn, patients: Patients, failures: list[str]) -> dict:
    from django.db.models import Count

    from core.models import AuditEvent
    from messaging.models import Message
    from offers.models import Cancellation, Offer

    figures: dict = {}
    # inbound: each MessageSid Twilio (the simulator) got a 200 for is stored exactly once, and processed
    inbound = Message.objects.filter(direction=Message.Direction.INBOUND)
    stored = collections.Counter(inbound.values_list("provider_sid", flat=True))
    acked = patients.inbound_acked
    common.check(set(stored) == patients.inbound_sids and not patients.inbound_given_up,
                 f"every inbound webhook recorded ({len(stored)} stored, {len(patients.inbound_sids)} sent, "
                 f"{len(acked)} answered 200, {len(patients.inbound_given_up)} given up)", failures)
    common.check(max(stored.values(), default=1) == 1, "every inbound recorded once", failures)
    unprocessed = inbound.filter(processed_at__isnull=True).count()
    common.check(unprocessed == 0, f"every inbound processed ({unprocessed} not)", failures)

    # outbound: the stand-in accepted each text at most as often as clinicbot has a message for it
    accepted = standin.accepted
    at_standin = collections.Counter((to, body) for _t, _sid, to, body in accepted)
    outbound = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    handed = outbound.filter(send_state__in=[Message.SendState.SENT, Message.SendState.SENDING])
    in_db = collections.Counter(handed.values_list("phone__e164", "body"))
    duplicates = sum(max(0, n - in_db.get(key, 0)) for key, n in at_standin.items())
    sids_db = set(outbound.exclude(provider_sid=None).values_list("provider_sid", flat=True))
    sids_standin = collections.Counter(sid for _t, sid, _to, _b in accepted)
    unknown_sids = set(sids_db) - set(sids_standin)
    common.check(duplicates == 0, f"nothing sent twice ({len(accepted)} texts accepted by the stand-in, "
                 f"{duplicates} duplicates)", failures)
    common.check(not unknown_sids, "every recorded send was accepted by the stand-in", failures)
    states = collections.Counter(outbound.values_list("send_state", flat=True))
    figures["outbound_states"] = dict(states)
    figures["stuck_sending"] = states.get("sending", 0)
    common.check(states.get("queued", 0) == 0, f"outbox drained: outbound states {dict(states)}", failures)

    # waves: one audit record per (slot, wave); offers never exceed the largest wave
    waves = collections.Counter(
        (obj, (after or {}).get("wave"))
        for obj, after in AuditEvent.objects.filter(action="cancellation.wave").values_list("object_id", "after")
    )
    dup_waves = sum(1 for n in waves.values() if n > 1)
    common.check(dup_waves == 0, f"no wave made twice ({len(waves)} waves)", failures)
    current = dict(Cancellation.objects.values_list("pk", "current_wave"))
    made = {(str(pk), w) for pk, cw in current.items() for w in range(1, cw + 1)}
    common.check(set(waves) == made, "every wave counter step has exactly one wave record", failures)

    # outcomes: one winner per slot, no offer pending, every slot terminal
    doubles = (Offer.objects.filter(status=Offer.Status.ACCEPTED).values("cancellation_id")
               .annotate(n=Count("id")).filter(n__gt=1).count())
    common.check(doubles == 0, "no slot has two winners", failures)
    filled_wrong = Cancellation.objects.filter(status=Cancellation.Status.FILLED, end_reason="accepted",
                                               filled_offer__isnull=True).count()
    common.check(filled_wrong == 0, "every slot filled by text names its winning offer", failures)
    pending = Offer.objects.filter(status=Offer.Status.PENDING).count()
    common.check(pending == 0, f"every offer resolved ({pending} pending)", failures)
    statuses = collections.Counter(Cancellation.objects.values_list("status", flat=True))
    active = sum(statuses.get(s, 0) for s in Cancellation.ACTIVE)
    common.check(active == 0, f"every cancellation terminal: {dict(statuses)}", failures)
    figures.update(cancellations=dict(statuses), waves=len(waves), texts_accepted=len(accepted),
                   standin_refused=dict(standin.refused),
                   offers=dict(collections.Counter(Offer.objects.values_list("status", flat=True))))
    return figures
