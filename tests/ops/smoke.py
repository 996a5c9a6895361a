"""Helpers for the Procfile smoke test: a throwaway PostgreSQL database with a DML-only app role, an
unused Redis database, signed Twilio webhooks over HTTP, and finding every process a run started."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
MARKER = "CLINICBOT_SMOKE_RUN"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_url(user: str, password: str, host: str, port: str | int, name: str) -> str:
    auth = f"{urllib.parse.quote(user)}:{urllib.parse.quote(password)}" if password else urllib.parse.quote(user)
    return f"postgres://{auth}@{host}:{port}/{name}"


@contextmanager
def throwaway_database(admin: dict):
    """A fresh database owned by the admin user, and an app role that may read and write rows but
    not change the schema (DEPLOYMENT.md: "the app role without DDL")."""
    pid = os.getpid()
    name, role, password = f"clinicbot_smoke_{pid}", f"clinicbot_smoke_app_{pid}", secrets.token_hex(16)
    host, port, user, admin_pw = admin["HOST"] or "127.0.0.1", admin["PORT"] or 5432, admin["USER"], admin["PASSWORD"]

    def admin_conn(dbname: str):
        return psycopg.connect(host=host, port=port, user=user, password=admin_pw or None, dbname=dbname,
                               autocommit=True, connect_timeout=5)

    with admin_conn("postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(password)))
    try:
        with admin_conn(name) as conn:
            # the part of `manage.py db_role_grants` (docs/DEPLOYMENT.md) that applies before any table
            # exists: its default privileges cover the tables the owner's migrate creates next.
            # PostgreSQL 15 already denies CREATE on schema public to ordinary roles: no DDL
            for statement in (
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                "GRANT CONNECT ON DATABASE {db} TO {app}",
                "GRANT USAGE ON SCHEMA public TO {app}",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
            ):
                conn.execute(sql.SQL(statement).format(db=sql.Identifier(name), app=sql.Identifier(role)))
        yield {
            "owner_url": pg_url(user, admin_pw, host, port, name),
            "app_url": pg_url(role, password, host, port, name),
            "connect": lambda: admin_conn(name),
            "role": role,
        }
    finally:
        with admin_conn("postgres") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@contextmanager
def unused_redis_db(host: str = "127.0.0.1", port: int = 6379):
    """A Redis database number nobody uses (empty), flushed afterwards. The django-q2 queue key is
    fixed per cluster name, so sharing a database with another run would mix their tasks."""
    import redis

    start = os.getpid() % 15
    for i in range(15):
        db = 1 + (start + i) % 15
        client = redis.Redis(host=host, port=port, db=db, socket_timeout=5)
        if client.dbsize() == 0:
            break
    else:
        raise RuntimeError("no empty Redis database among 1-15")
    try:
        yield f"redis://{host}:{port}/{db}"
    finally:
        client.flushdb()


def http(method: str, url: str, data: dict | None = None, headers: dict | None = None, timeout: float = 10):
    """(status, body) without raising on 4xx/5xx."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, repr(exc)


def signed_post(url: str, params: dict, token: str):
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(token).compute_signature(url, params)
    return http("POST", url, params, {"X-Twilio-Signature": signature})


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def marked_processes(marker_value: str) -> list[int]:
    """Live processes whose environment carries this run's marker (gunicorn workers, qcluster
    children and the shells honcho starts in their own sessions included)."""
    needle = f"{MARKER}={marker_value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie has exited; it only waits for its parent to reap it
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def stop_process_tree(leader, marker_value: str, term_timeout: float = 25.0) -> dict:
    """SIGTERM the leader's process group (honcho passes it on to each Procfile process's group),
    wait, then SIGKILL whatever is left. Returns what survived SIGTERM."""
    try:
        os.killpg(leader.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + term_timeout
    while time.monotonic() < deadline and (leader.poll() is None or marked_processes(marker_value)):
        time.sleep(0.2)
    survivors = marked_processes(marker_value)
    for pid in survivors:
        for kill in (lambda p: os.killpg(os.getpgid(p), signal.SIGKILL), lambda p: os.kill(p, signal.SIGKILL)):
            try:
                kill(pid)
            except (ProcessLookupError, PermissionError):
                pass
    if leader.poll() is None:
        try:
            os.killpg(leader.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    leader.wait(timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and marked_processes(marker_value):
        time.sleep(0.1)
    return {"survived_sigterm": survivors, "left": marked_processes(marker_value)}


def last_json_line(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise AssertionError(f"no JSON line in output:\n{text[-2000:]}")
