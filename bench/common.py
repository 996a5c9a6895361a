"""Shared helpers for the benchmarks in bench/ (see bench/README.md).

Everything here keeps a benchmark honest and harmless: a scratch PostgreSQL database created and
dropped per run (never the dev database), a private Redis database number, every child process in
its own process group and always killed, traffic only to 127.0.0.1, bounded load loops.

Django is configured *after* the scratch database exists (`django_setup`), so nothing here imports
models at module level.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# The maintenance database the scratch databases are created from (trust auth on loopback here).
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
AUTH_TOKEN = "bench-auth-token"
ACCOUNT_SID = "AC" + "b" * 32
SERVICE_SID = "MG" + "b" * 32
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class InvariantBroken(AssertionError):
    """A correctness invariant failed: the script prints it and exits non-zero."""


def check(condition: bool, what: str, failures: list[str]) -> None:
    """Record an invariant; the caller exits non-zero if any failed."""
    mark = "ok  " if condition else "FAIL"
    print(f"  [{mark}] {what}", flush=True)
    if not condition:
        failures.append(what)


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to use {host!r}: benchmarks only talk to 127.0.0.1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM (timeout, kill) unwinds like Ctrl-C: child processes are killed, scratch databases dropped."""

    def _raise(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    pg = "?"
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    return f"{os.cpu_count()} cores ({cpu}), {mem} RAM, Python {platform.python_version()}, PostgreSQL {pg}"


def load_average() -> float:
    """The 1-minute load average: on a 2-core machine anything above ~2 means other work competed
    with the benchmark for the CPU, and its timings are pessimistic."""
    return round(os.getloadavg()[0], 2)


# --- scratch PostgreSQL database -------------------------------------------------------------------


def _admin_connect(admin_url: str | None = None):
    import psycopg

    admin_url = admin_url or PG_ADMIN_URL
    require_loopback(admin_url)
    return psycopg.connect(admin_url, autocommit=True, connect_timeout=10)


def _drop_database(name: str, admin_url: str | None = None) -> None:
    for attempt in range(30):
        try:
            with _admin_connect(admin_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except Exception as exc:  # noqa: BLE001 - PostgreSQL may be restarting (the fault bench)
            if attempt == 29:
                print(f"could not drop scratch database {name}: {exc}", file=sys.stderr)
            time.sleep(1)


@contextlib.contextmanager
def scratch_database(label: str, admin_url: str | None = None) -> Iterator[str]:
    """Create `clinicbot_bench_<label>_<pid>`, yield its URL, always drop it."""
    name = f"clinicbot_bench_{label}_{os.getpid()}"
    with _admin_connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    def drop():
        _drop_database(name, admin_url)

    atexit.register(drop)  # also on an uncaught exception or Ctrl-C
    base = (admin_url or PG_ADMIN_URL).rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        atexit.unregister(drop)
        drop()


@contextlib.contextmanager
def scratch_redis() -> Iterator[str]:
    """A Redis database number (15 down to 8) no other benchmark holds: the django-q2 queue key is
    the same for every clinicbot, so two runs sharing one database would steal each other's tasks."""
    import redis

    require_loopback(REDIS_BASE_URL)
    marker = f"clinicbot-bench-owner:{os.getpid()}"
    for n in range(15, 7, -1):
        client = redis.Redis.from_url(f"{REDIS_BASE_URL}/{n}")
        if client.set("clinicbot-bench-lock", marker, nx=True, ex=6 * 3600):
            break
    else:
        raise SystemExit("no free Redis database 8-15 (another benchmark holds each): try again later")
    client.flushdb()
    client.set("clinicbot-bench-lock", marker, ex=6 * 3600)
    try:
        yield f"{REDIS_BASE_URL}/{n}"
    finally:
        with contextlib.suppress(Exception):
            client.flushdb()


def clinic_env(
    *,
    db_url: str,
    redis_url: str,
    broker: str = "redis",
    standin_url: str = "http://127.0.0.1:9",
    public_base_url: str = "http://127.0.0.1:8000",
    **extra: str,
) -> dict[str, str]:
    """The environment of every clinicbot process of a run: production mode (DEBUG off, JSON logs,
    real Twilio SDK pointed at the local stand-in), outreach allowed around the clock."""
    for url in (db_url, redis_url, standin_url, public_base_url):
        require_loopback(url)
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        CLINICBOT_IGNORE_DOTENV="1",
        DJANGO_SETTINGS_MODULE="clinicbot.settings",
        PYTHONUNBUFFERED="1",
        DEBUG="false",
        SECRET_KEY="bench-" + secrets.token_urlsafe(40),
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        Q_BROKER=broker,
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_MESSAGING_SERVICE_SID=SERVICE_SID,
        TWILIO_FROM_NUMBER="",
        TWILIO_API_BASE_URL=standin_url,
        PUBLIC_BASE_URL=public_base_url,
        SENDING_HOURS="00:00-24:00",
        LOG_JSON="false",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def django_setup(env: dict[str, str]) -> None:
    """Configure this process's Django from a run's environment (call once, before any model import)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    # the benchmark's own output is its figures: no INFO lines (django-q2's enqueues, audit lines)
    logging.disable(logging.INFO)
    django.setup()


def migrate(env: dict[str, str]) -> None:
    t = time.monotonic()
    done = subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        print(done.stdout, file=sys.stderr)
        raise SystemExit("migrate failed on the scratch database")
    print(f"migrated scratch database in {time.monotonic() - t:.1f}s", flush=True)


# --- child processes ----------------------------------------------------------------------------------


class Processes:
    """Starts clinicbot processes, each in its own process group, and always kills them all (on exit,
    on an exception, on Ctrl-C)."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        logdir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen] = {}
        atexit.register(self.stop_all)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def web(self, name: str, env: dict[str, str], port: int, workers: int = 2, threads: int = 4):
        env = {**env, "WEB_WORKERS": str(workers), "WEB_THREADS": str(threads)}
        return self.start(name, [PY, "-m", "gunicorn", "clinicbot.wsgi:application", "--config",
                                 "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"], env)

    def worker(self, name: str, env: dict[str, str]):
        return self.start(name, [PY, "manage.py", "qcluster"], env)

    def timer(self, name: str, env: dict[str, str]):
        return self.start(name, [PY, "manage.py", "run_timer"], env)

    def kill(self, name: str, sig: int = signal.SIGTERM, wait: float = 15.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            pass
        # whatever is left of the group (django-q2 children outlive their parent on SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)

    def kill9(self, name: str) -> None:
        self.kill(name, signal.SIGKILL, wait=5)

    def stop_all(self) -> None:
        # SIGTERM to every group at once, then one shared grace period, then SIGKILL
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
        for name in list(self.procs):
            self.kill(name, signal.SIGKILL, wait=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    require_loopback(url)
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{url}: the server exited with {proc.returncode} (see its log)")
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", parts.path or "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f}s")


def wait_until(predicate, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# --- memory: peak RSS from /proc ---------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) used so far by a process tree, including its reaped children (a
    gunicorn worker recycled by max_requests). Unlike wall time, barely moved by other load."""
    kids = _children_map()
    tick = os.sysconf("SC_CLK_TCK")
    todo, total = [root_pid], 0
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        todo.extend(kids.get(pid, []))
    return total / tick


class PeakRss:
    """Samples clinicbot process trees twice a second. Per role: the largest single process's peak
    RSS (VmHWM, kept by the kernel between samples) and the largest tree total seen."""

    def __init__(self, procs: Processes, interval: float = 0.5):
        self.procs, self.interval = procs, interval
        self.single: Counter[str] = Counter()
        self.tree: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def role(name: str) -> str:
        return name.rstrip("0123456789-_")

    def sample(self) -> None:
        kids = _children_map()
        for name, proc in list(self.procs.procs.items()):
            todo, tree = [proc.pid], []
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo.extend(kids.get(pid, []))
            role = self.role(name)
            for pid in tree:
                self.single[role] = max(self.single[role], _status_kb(pid, "VmHWM"))
            self.tree[role] = max(self.tree[role], sum(_status_kb(pid, "VmRSS") for pid in tree))

    def _run(self):
        while not self._stop.wait(self.interval):
            with contextlib.suppress(Exception):
                self.sample()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(2)

    def report(self) -> dict[str, dict[str, float]]:
        out = {}
        for role in sorted(self.single):
            out[role] = {"peak_process_mib": round(self.single[role] / 1024, 1),
                         "peak_tree_mib": round(self.tree[role] / 1024, 1)}
            print(f"  memory {role:8s}: peak RSS of one process {out[role]['peak_process_mib']:6.1f} MiB, "
                  f"whole process tree {out[role]['peak_tree_mib']:6.1f} MiB", flush=True)
        return out


# --- webhooks -------------------------------------------------------------------------------------------


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    from twilio.request_validator import RequestValidator

    return RequestValidator(token).compute_signature(url, params)


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def inbound_params(*, from_: str, body: str, sid: str | None = None, to: str = "+13125550000") -> dict[str, str]:
    return {
        "MessageSid": sid or new_sid(),
        "AccountSid": ACCOUNT_SID,
        "MessagingServiceSid": SERVICE_SID,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    tag: str = ""


def signed_post(public_base_url: str, path: str, params: dict[str, str], tag: str = "") -> Req:
    body = urlencode(params).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(public_base_url + path, params),
    }
    return Req("POST", path, body, headers, tag)


# --- load generation -----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    label: str
    concurrency: int
    latencies_ms: list[float]
    statuses: Counter
    errors: int
    wall_s: float

    @property
    def done(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.done / self.wall_s if self.wall_s else 0.0

    def summary(self) -> dict:
        lat = self.latencies_ms
        return {
            "label": self.label,
            "concurrency": self.concurrency,
            "requests": self.done,
            "rps": round(self.rps, 1),
            "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "errors": self.errors,
            "statuses": dict(self.statuses),
        }

    def line(self) -> str:
        s = self.summary()
        return (f"{s['label']:24s} c={s['concurrency']:<3d} n={s['requests']:<6d} {s['rps']:8.1f} req/s  "
                f"p50 {s['p50_ms']:6.1f}  p95 {s['p95_ms']:6.1f}  p99 {s['p99_ms']:6.1f} ms  errors {s['errors']}")


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    data = sorted(values)
    k = (len(data) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run_load(
    host: str, port: int, requests: list[Req], *, concurrency: int, max_seconds: float, label: str,
    ok_statuses: tuple[int, ...] = (200,),
) -> LoadResult:
    """Send `requests` (each once, in order) over `concurrency` keep-alive connections; stop early
    at `max_seconds`. Bounded in count and time; loopback only."""
    require_loopback(f"http://{host}:{port}/")
    lock = threading.Lock()
    position = {"i": 0}
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = {"n": 0}
    deadline = time.monotonic() + max_seconds

    def next_req() -> Req | None:
        with lock:
            i = position["i"]
            if i >= len(requests) or time.monotonic() >= deadline:
                return None
            position["i"] = i + 1
            return requests[i]

    def loop():
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine: list[float] = []
        while (req := next_req()) is not None:
            t = time.perf_counter()
            try:
                conn.request(req.method, req.path, body=req.body or None, headers=req.headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
            except (OSError, http.client.HTTPException):
                status = -1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            elapsed = (time.perf_counter() - t) * 1000
            with lock:
                statuses[status] += 1
                if status not in ok_statuses:
                    errors["n"] += 1
            mine.append(elapsed)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max_seconds + 60)
    wall = time.perf_counter() - start
    return LoadResult(label, concurrency, latencies, statuses, errors["n"], wall)


def write_json(path: Path | None, payload: dict) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"figures written to {path}")


def wrk_get(host: str, port: int, path: str, *, concurrency: int, seconds: int = 5) -> dict | None:
    """The same GET floor measured with wrk (C, epoll), when it is installed (`apt-get install wrk`):
    shows whether the Python load generator, not the server, limited a fast endpoint. None without wrk."""
    import re
    import shutil

    require_loopback(f"http://{host}:{port}/")
    if shutil.which("wrk") is None:
        return None
    done = subprocess.run(
        ["wrk", f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{seconds}s", "--latency", "--timeout", "10s",
         f"http://{host}:{port}{path}"], capture_output=True, text=True, timeout=seconds + 30,
    )
    out = done.stdout

    def ms(label: str) -> float | None:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return None
        value, unit = float(found.group(1)), found.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": float(rps.group(1)) if rps else None, "p50_ms": ms("50"), "p99_ms": ms("99"),
            "errors": int(non2xx.group(1)) if non2xx else 0}
