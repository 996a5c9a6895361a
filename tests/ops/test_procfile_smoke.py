"""The Procfile, for real: gunicorn, the django-q2 cluster and the timer started by honcho against a
fresh PostgreSQL database and Redis, with production settings (DEBUG off, the Twilio backend pointed at
a local stand-in), one offer carried end to end over HTTP with signed webhooks, then every process
stopped. The processes connect as a role that cannot change the schema."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings as django_settings

from bench.twilio_standin import StandIn
from clinicbot.settings.env import VARIABLES

from . import smoke

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(150)]

PATIENT_PHONE = "+13125550187"
CLINIC_NUMBER = "+13125550100"

CREATE_SLOT = """
import datetime as dt, json
from clinicbot.clock import now
from core.actors import Actor
from offers import services as offers
from waitlist import services as waitlist
from waitlist.models import AppointmentType, Location, Provider
actor = Actor.system("smoke-test")
loc = Location.objects.create(name="Smoke Clinic", sms_name="Smoke", time_zone="America/Chicago")
atype, _ = AppointmentType.objects.get_or_create(code="follow-up", defaults={"name": "Follow-up", "default_minutes": 20})
prov = Provider.objects.create(name="Dr. Smoke", sms_name="Dr Smoke", kind="MD")
prov.locations.add(loc)
prov.appointment_types.add(atype)
patient, _ = waitlist.patient_upsert(actor=actor, first_name="Sam", last_name="Smoke", phone="%(phone)s",
                                     consent_source="written")
waitlist.entry_save(actor=actor, patient=patient, appointment_type=atype)
start = (now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
c = offers.cancellation_create(actor=actor, provider=prov, location=loc, appointment_type=atype,
                               start_at=start, duration_minutes=20)
print(json.dumps({"cancellation": c.pk}))
"""


def _manage(env: dict, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=smoke.REPO, env=env, capture_output=True, text=True,
        timeout=timeout,
    )


def _ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.args}: rc={result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _production_env(*, database_url: str, redis_url: str, port: int, standin_url: str, token: str, marker: str):
    # nothing from the developer's shell or .env leaks in: every clinicbot variable is set here or defaulted
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(
        PATH=f"{smoke.VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        CLINICBOT_IGNORE_DOTENV="1",
        DJANGO_SETTINGS_MODULE="clinicbot.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        Q_BROKER="redis",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID="AC" + secrets.token_hex(16),
        TWILIO_AUTH_TOKEN=token,
        TWILIO_FROM_NUMBER=CLINIC_NUMBER,
        TWILIO_API_BASE_URL=standin_url,
        # the run must not depend on the hour it happens to start at
        SENDING_HOURS="00:00-24:00",
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_ACCESS_LOG="1",
        PYTHONUNBUFFERED="1",
    )
    env[smoke.MARKER] = marker
    return env


def _sent_to(standin: StandIn, phone: str, needle: str) -> list[dict]:
    return [form for _, form in standin.requests if form.get("To") == phone and needle in form.get("Body", "")]


def _one_row(db, query: str, *params):
    with db["connect"]() as conn:
        return conn.execute(query, params).fetchone()


def test_procfile_runs_one_offer_end_to_end_and_stops_cleanly(tmp_path):
    started = time.monotonic()
    phases: list[tuple[str, float]] = []

    def phase(name: str) -> None:
        phases.append((name, time.monotonic() - started))

    admin = django_settings.DATABASES["default"]
    with smoke.throwaway_database(admin) as db, smoke.unused_redis_db() as redis_url, StandIn() as standin:
        port = smoke.free_port()
        token = secrets.token_hex(16)
        marker = uuid.uuid4().hex
        env = _production_env(database_url=db["app_url"], redis_url=redis_url, port=port,
                              standin_url=standin.url, token=token, marker=marker)
        public = env["PUBLIC_BASE_URL"]

        # deploy steps (docs/DEPLOYMENT.md "Upgrades"): migrate as the owner, the rest as the app role
        phase("database")
        _ok(_manage({**env, "DATABASE_URL": db["owner_url"]}, "migrate", "--noinput"))
        phase("migrate")
        _ok(_manage(env, "setup_roles"))
        _ok(_manage(env, "collectstatic", "--noinput"))
        phase("setup_roles, collectstatic")
        denied = _manage(env, "shell", "-c", "from django.db import connection; "
                         "connection.cursor().execute('CREATE TABLE smoke_ddl (id int)')")
        assert denied.returncode != 0 and "permission denied" in denied.stderr, "the app role must not run DDL"

        before = _manage(env, "check_health")
        assert before.returncode == 1, before.stdout + before.stderr
        assert "timer: no heartbeat yet" in before.stderr and "worker: no heartbeat yet" in before.stderr

        phase("check_health before start")
        log_path = tmp_path / "honcho.log"
        empty_env_file = tmp_path / "empty.env"  # honcho would otherwise load the developer's .env over ours
        empty_env_file.write_text("")
        with open(log_path, "wb") as log:
            honcho = subprocess.Popen(
                [str(smoke.VENV_BIN / "honcho"), "-e", str(empty_env_file), "-f", "Procfile", "start"],
                cwd=smoke.REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        stopped = None
        try:

            def ready():
                assert honcho.poll() is None, "honcho exited early:\n" + log_path.read_text()[-4000:]
                return smoke.http("GET", f"{public}/readyz")[0] == 200

            try:
                smoke.wait_for(ready, timeout=45, interval=0.25, what="/readyz 200")
            except AssertionError as exc:
                raise AssertionError(f"{exc}; last /readyz: {smoke.http('GET', f'{public}/readyz')}\n"
                                     + log_path.read_text()[-4000:]) from None

            phase("ready")
            # production serves the admin (host check, collected static files through WhiteNoise)
            assert smoke.http("GET", f"{public}/admin/login/")[0] == 200
            status, css = smoke.http("GET", f"{public}/static/admin/css/base.css")
            assert status == 200 and "DJANGO Admin" in css
            assert smoke.http("GET", f"{public}/healthz", headers={"Host": "evil.example"})[0] == 400

            created = _ok(_manage(env, "shell", "-c", CREATE_SLOT % {"phone": PATIENT_PHONE}))
            cancellation_id = smoke.last_json_line(created.stdout)["cancellation"]

            phase("slot logged")
            offer_sms = smoke.wait_for(lambda: _sent_to(standin, PATIENT_PHONE, "Reply YES"), timeout=20,
                                       what="the offer SMS at the Twilio stand-in")[0]
            assert offer_sms["From"] == CLINIC_NUMBER
            assert offer_sms["StatusCallback"] == f"{public}/webhooks/twilio/status/"
            # an offer must not arrive after its hold: Twilio drops it once the hold has passed
            assert 1 <= int(offer_sms["ValidityPeriod"]) <= VARIABLES["OFFER_HOLD_MINUTES"][1] * 60

            # Twilio's status callback for the offer, signed like Twilio signs it
            sid = smoke.wait_for(
                lambda: (_one_row(db, "SELECT provider_sid FROM messaging_message WHERE kind = 'offer' "
                                      "AND provider_sid IS NOT NULL") or [None])[0],
                timeout=10, what="the offer's provider sid")
            status_url = f"{public}/webhooks/twilio/status/"
            callback = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": env["TWILIO_ACCOUNT_SID"],
                        "From": CLINIC_NUMBER, "To": PATIENT_PHONE, "ApiVersion": "2010-04-01"}
            assert smoke.http("POST", status_url, callback, {"X-Twilio-Signature": "forged"})[0] == 403
            assert smoke.signed_post(status_url, callback, token)[0] == 200
            assert _one_row(db, "SELECT status FROM messaging_message WHERE provider_sid = %s", sid)[0] == "delivered"

            # the patient answers YES
            inbound_url = f"{public}/webhooks/twilio/inbound/"
            reply = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": env["TWILIO_ACCOUNT_SID"],
                     "From": PATIENT_PHONE, "To": CLINIC_NUMBER, "Body": "YES", "NumMedia": "0",
                     "NumSegments": "1", "ApiVersion": "2010-04-01"}
            status, body = smoke.signed_post(inbound_url, reply, token)
            assert status == 200 and "<Response" in body, (status, body)

            smoke.wait_for(lambda: _sent_to(standin, PATIENT_PHONE, "you are booked"), timeout=20,
                           what="the confirmation SMS at the Twilio stand-in")
            row = _one_row(db, "SELECT status, end_reason FROM offers_cancellation WHERE id = %s", cancellation_id)
            assert row == ("filled", "accepted")
            assert _one_row(db, "SELECT count(*) FROM offers_offer WHERE cancellation_id = %s AND status = 'accepted'",
                            cancellation_id)[0] == 1

            phase("filled")
            after = _manage(env, "check_health")
            assert after.returncode == 0, after.stdout + after.stderr
        finally:
            phase("stopping")
            stopped = smoke.stop_process_tree(honcho, marker)
            phase("stopped")
        assert stopped["left"] == [], f"processes outlived the test: {stopped}\n" + log_path.read_text()[-3000:]
    phase("cleaned up")
    print("smoke phases (s since start): " + ", ".join(f"{name} {at:.1f}" for name, at in phases))
    print(f"survived SIGTERM (killed after honcho's 5 s): {stopped['survived_sigterm']}")
