"""Every environment variable clinicbot reads, in one place.

Each entry: name -> (cast, default, one-line meaning). `.env.example` mirrors this list
(a test keeps the two in step). Production (DEBUG off) refuses to start when a required
value is missing or malformed, naming the variable.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

INSECURE_KEY = "dev-insecure-key-change-me"

VARIABLES: dict[str, tuple[type, object, str]] = {
    "SECRET_KEY": (str, INSECURE_KEY, "Django secret key; required (and not the dev default) when DEBUG is off"),
    "DEBUG": (bool, False, "Development mode: debug pages, demo admin user, relaxed security"),
    "ALLOWED_HOSTS": (list, ["127.0.0.1", "localhost"], "Comma-separated host names this site answers to"),
    "DATABASE_URL": (str, f"sqlite:///{BASE_DIR / 'var' / 'clinicbot.sqlite3'}", "Database; SQLite file under var/ by default, postgres://... in production"),
    "DB_CONN_MAX_AGE": (int, 60, "Seconds a PostgreSQL connection is kept for reuse by later requests and tasks (0: one per request)"),
    "TEST_DATABASE_URL": (str, "", "Database for the test suite (falls back to DATABASE_URL, then SQLite)"),
    "REDIS_URL": (str, "", "Redis for the shared cache (rate limits) and, with Q_BROKER=redis, the task queue; required in production"),
    "Q_BROKER": (str, "orm", "Task queue broker: orm (the default database) or redis"),
    "Q_WORKERS": (int, 2, "django-q2 worker processes per cluster"),
    "SMS_BACKEND": (str, "dev", "dev (records messages, fakes delivery) or twilio; must be set when DEBUG is off (dev only on purpose)"),
    "TWILIO_ACCOUNT_SID": (str, "", "Twilio account SID (AC...); required with SMS_BACKEND=twilio"),
    "TWILIO_AUTH_TOKEN": (str, "", "Twilio auth token; signs webhooks; required with SMS_BACKEND=twilio"),
    "TWILIO_MESSAGING_SERVICE_SID": (str, "", "Messaging Service SID (MG...), preferred sender"),
    "TWILIO_FROM_NUMBER": (str, "", "Sender number in E.164 when no Messaging Service is used"),
    "TWILIO_API_BASE_URL": (str, "", "Empty = real Twilio; set only to point the SDK at a local stand-in"),
    "TWILIO_ADVANCED_OPT_OUT": (bool, False, "Twilio's Advanced Opt-Out answers the STOP, START and HELP keywords itself: do not answer them twice"),
    "PUBLIC_BASE_URL": (str, "http://127.0.0.1:8000", "Public origin Twilio calls (signature checks, status-callback URLs); with twilio and DEBUG off, required and https"),
    "WEBHOOK_SIGNATURE_CHECK": (bool, True, "Check X-Twilio-Signature (cannot be turned off when DEBUG is off)"),
    "TRUST_PROXY": (bool, False, "Trust X-Forwarded-Proto from a TLS proxy that sets and strips it"),
    "CLINIC_NAME": (str, "Riverside Clinic", "Clinic name used in texts"),
    "CLINIC_PHONE": (str, "(555) 010-0000", "Clinic phone number patients are told to call"),
    "CLINIC_TIME_ZONE": (str, "America/Chicago", "Default time zone for new locations, a tz database name (e.g. America/Chicago)"),
    "OFFER_BATCH_SIZE": (int, 3, "Offers per wave"),
    "OFFER_HOLD_MINUTES": (int, 7, "How long an offer is held for its patient"),
    "OFFER_MIN_HOLD_MINUTES": (int, 2, "Shortest hold as the slot nears"),
    "OFFER_MAX_BATCH_SIZE": (int, 10, "Largest wave as the slot nears"),
    "OFFER_CUTOFF_MINUTES": (int, 60, "No offer runs past this many minutes before the slot starts"),
    "OFFER_CAP_PER_DAY": (int, 1, "Most offers to one number in 24 hours"),
    "OFFER_CAP_PER_WEEK": (int, 3, "Most offers to one number in 7 days"),
    "OFFER_COOLDOWN_MINUTES": (int, 15, "Minimum gap between a number's previous offer ending and a new one"),
    "OFFER_UNRESPONSIVE_AFTER": (int, 3, "Consecutive unanswered offers before an entry is marked unresponsive"),
    "OFFER_EXPIRY_GRACE_SECONDS": (float, 1.0, "Expiry runs this long after expires_at so an in-flight YES is not beaten by the timer"),
    "EHR_FOLLOWUP_OVERDUE_MINUTES": (int, 60, "A fill whose two EHR ticks are missing after this long shows red"),
    "SENDING_HOURS": (str, "08:00-20:00", "Outreach window in each location's local time, HH:MM-HH:MM, end exclusive"),
    "PRIORITY_WEIGHTS": (str, "", "Override ranking weights, e.g. urgent=30,per_30_days=1,days_cap=10"),
    "SENDER_FAILURE_THRESHOLD": (int, 5, "Failed sends to this many different numbers in a row pause all outreach"),
    "AUTO_REPLY_RATE_PER_NUMBER": (str, "10/h", "Auto-replies to one number, COUNT/UNIT with unit s, m, h or d (e.g. 10/h, 100/15m)"),
    "AUTO_REPLY_RATE_GLOBAL": (str, "600/m", "Auto-replies overall, COUNT/UNIT like the per-number rate"),
    "SMS_SEGMENT_PRICE": (float, 0.0083, "Price of one SMS segment (metrics: cost per fill)"),
    "VISIT_VALUE": (float, 150.0, "Revenue of one filled visit (metrics: revenue recovered)"),
    "MESSAGE_BODY_RETENTION_DAYS": (int, 90, "Message bodies and raw webhook parameters are redacted after this many days"),
    "WAITLIST_RETENTION_DAYS": (int, 180, "Idle waitlist entries are asked, then deactivated, after this many days"),
    "TIMER_TICK_SECONDS": (float, 0.25, "How often the timer process looks for due holds and waves"),
    "SESSION_IDLE_MINUTES": (int, 30, "Staff session idle timeout (board polling does not extend it)"),
    "LOG_JSON": (bool, False, "Structured JSON logs (on by default when DEBUG is off)"),
    "ADMIN_ERROR_EMAILS": (bool, False, "Send Django's error e-mails (they carry request data): only if you mean it"),
    "ADMIN_EMAILS": (list, [], "Comma-separated addresses for error e-mails; required with ADMIN_ERROR_EMAILS"),
    "EMAIL_URL": (str, "", "Outgoing mail for error e-mails, e.g. smtp+tls://user:password@mail.example:587 (holds a secret)"),
    "OTP_REQUIRED_FOR_MANAGERS": (bool, False, "Managers and superusers must confirm a TOTP code (manage.py otp_enroll) to use the console"),
    "DEFAULT_APPOINTMENT_TYPE": (str, "follow-up", "Appointment type code used when an API client omits it"),
}


def read_env() -> environ.Env:
    env = environ.Env()
    env_file = BASE_DIR / ".env"
    if env_file.exists() and not os.environ.get("CLINICBOT_IGNORE_DOTENV"):
        environ.Env.read_env(str(env_file), overwrite=False)
    return env


TRUE_WORDS = ("true", "on", "yes", "y", "1", "ok")
FALSE_WORDS = ("false", "off", "no", "n", "0", "")


def _bool(env: environ.Env, name: str, default: bool) -> bool:
    # django-environ reads any word it does not know as False: "enabled" or "ture" would turn
    # OTP_REQUIRED_FOR_MANAGERS off without a word, so only the listed words are accepted.
    if name not in env.ENVIRON:
        return default
    word = env.str(name).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}: cannot read {os.environ.get(name)!r} as on or off "
        f"(use one of {', '.join(TRUE_WORDS)} or {', '.join(w for w in FALSE_WORDS if w)})"
    )


def _list(env: environ.Env, name: str, default: list) -> list:
    # "a.example, b.example" is how people write lists: " b.example" would never match a Host header
    if name not in env.ENVIRON:
        return default
    return [item.strip() for item in env.str(name).split(",") if item.strip()]


def get(env: environ.Env, name: str):
    cast, default, _ = VARIABLES[name]
    try:
        if cast is bool:
            return _bool(env, name, default)
        if cast is int:
            return env.int(name, default=default)
        if cast is float:
            return env.float(name, default=default)
        if cast is list:
            return _list(env, name, default)
        return env.str(name, default=default)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{name}: cannot read {os.environ.get(name)!r} ({exc})") from None


def given(name: str) -> bool:
    """Set in the environment or `.env` (read into the environment first), not left to its default."""
    return bool(os.environ.get(name, "").strip())


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def public_base_url_problem(value: str, *, explicit: bool, stand_in: bool) -> str | None:
    """What is wrong with PUBLIC_BASE_URL for a production server on Twilio, or None.

    Webhook signatures are checked against it, never against `Host`: the development default
    (http://127.0.0.1:8000) or any URL Twilio does not call rejects every patient's YES and STOP
    with a 403. Plain http only on a loopback address while TWILIO_API_BASE_URL points the SDK at
    a local stand-in (the Procfile smoke test, the benchmarks): no real Twilio calls those."""
    if not explicit:
        return ("PUBLIC_BASE_URL is required with SMS_BACKEND=twilio when DEBUG is off: the https:// origin "
                "Twilio calls (webhook signatures are checked against it)")
    try:
        url = urlsplit(value)
        scheme, host = url.scheme, url.hostname
    except ValueError:
        scheme = host = None
    if scheme == "https" and host:
        return None
    if scheme == "http" and host in LOOPBACK_HOSTS and stand_in:
        return None
    return ("PUBLIC_BASE_URL must be an https:// origin when DEBUG is off (plain http only on a loopback "
            "address with TWILIO_API_BASE_URL set to a local stand-in)")


def parse_sending_hours(value: str, name: str = "SENDING_HOURS") -> tuple[dt.time, dt.time | None]:
    """`HH:MM-HH:MM`, start before end, end exclusive; `24:00` only as the end (returned as None)."""

    def hhmm(part: str, allow_24: bool) -> dt.time | None:
        try:
            hh, mm = part.strip().split(":")
            if len(hh) != 2 or len(mm) != 2:
                raise ValueError
            h, m = int(hh), int(mm)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r}: {part!r} is not HH:MM") from None
        if allow_24 and (h, m) == (24, 0):
            return None
        if not (0 <= h < 24 and 0 <= m < 60):
            raise ImproperlyConfigured(f"{name}={value!r}: {part!r} is not a time of day")
        return dt.time(h, m)

    parts = (value or "").split("-")
    if len(parts) != 2:
        raise ImproperlyConfigured(f"{name}={value!r}: expected HH:MM-HH:MM, e.g. 08:00-20:00")
    start = hhmm(parts[0], allow_24=False)
    end = hhmm(parts[1], allow_24=True)
    if end is not None and not start < end:
        raise ImproperlyConfigured(f"{name}={value!r}: the start must be before the end")
    return start, end


RATE_RE = re.compile(r"(\d+)/(\d*)([smhd])")


def parse_rate(value: str, name: str) -> str:
    """A django-ratelimit rate, `COUNT/[N]UNIT` with unit s, m, h or d (lower case), e.g. `10/h`.

    django-ratelimit reads a rate only when it first counts, and then leniently: "10/H" or "3/w"
    counts per second, "10 per hour" or "" fails, and a failing limiter sends no auto-reply at all."""
    match = RATE_RE.fullmatch(value or "")
    if not match or (match.group(2) and int(match.group(2)) == 0):  # "5/0m": a period of no time
        raise ImproperlyConfigured(
            f"{name}={value!r}: expected COUNT/UNIT with unit s, m, h or d in lower case, e.g. 10/h or 100/15m"
        )
    return value


def parse_time_zone(value: str, name: str = "CLINIC_TIME_ZONE") -> str:
    """An IANA time zone name, e.g. `America/Chicago` (as spelt in the tz database, no spaces)."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ImproperlyConfigured(
            f"{name}={value!r}: not a time zone name from the tz database, e.g. America/Chicago"
        ) from None
    return value


def parse_weights(value: str) -> dict[str, int]:
    weights = {
        "urgent": 30,
        "appt_180_plus": 20,
        "appt_90_179": 10,
        "appt_30_89": 5,
        "per_30_days": 1,
        "days_cap": 10,
    }
    for item in filter(None, (p.strip() for p in (value or "").split(","))):
        key, _, raw = item.partition("=")
        if key not in weights:
            raise ImproperlyConfigured(f"PRIORITY_WEIGHTS: unknown weight {key!r} (known: {', '.join(weights)})")
        try:
            weights[key] = int(raw)
        except ValueError:
            raise ImproperlyConfigured(f"PRIORITY_WEIGHTS: {key} needs a whole number, got {raw!r}") from None
    return weights
