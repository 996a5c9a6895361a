"""clinicbot settings. Every variable is declared once in `env.py` and mirrored in `.env.example`."""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured

from core.sqlite import ENGINE as SQLITE_ENGINE
from core.sqlite import engine as sqlite_engine

from . import env as _env

BASE_DIR = _env.BASE_DIR
_e = _env.read_env()


def _get(name):
    return _env.get(_e, name)


DEBUG = _get("DEBUG")
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")
SECRET_KEY = _get("SECRET_KEY")
ALLOWED_HOSTS = _get("ALLOWED_HOSTS")

# --- production refuses to start without what it needs, naming the variable ---------------
_problems: list[str] = []
if not DEBUG and not TESTING:
    if SECRET_KEY == _env.INSECURE_KEY or len(SECRET_KEY) < 32:
        _problems.append("SECRET_KEY must be set to a long random value when DEBUG is off")
    if not _get("REDIS_URL"):
        _problems.append("REDIS_URL is required when DEBUG is off (auto-reply limits must be shared across processes)")
    if not _get("WEBHOOK_SIGNATURE_CHECK"):
        _problems.append("WEBHOOK_SIGNATURE_CHECK cannot be turned off when DEBUG is off")
SMS_BACKEND = _get("SMS_BACKEND")
if not DEBUG and not TESTING and not _env.given("SMS_BACKEND"):
    # The default, dev, fakes delivery: a server that fell back to it would record as delivered texts
    # that never went out. With DEBUG off it runs only when named (demos and CI say SMS_BACKEND=dev).
    _problems.append("SMS_BACKEND must be set when DEBUG is off: twilio, or dev to fake delivery on purpose")
elif SMS_BACKEND not in ("dev", "twilio"):
    _problems.append(f"SMS_BACKEND must be 'dev' or 'twilio', not {SMS_BACKEND!r}")
if SMS_BACKEND == "twilio":
    for _name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL"):
        if not _get(_name):
            _problems.append(f"{_name} is required with SMS_BACKEND=twilio")
    if not (_get("TWILIO_MESSAGING_SERVICE_SID") or _get("TWILIO_FROM_NUMBER")):
        _problems.append("TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER is required with SMS_BACKEND=twilio")
    if not DEBUG and not TESTING and _get("PUBLIC_BASE_URL"):
        _problem = _env.public_base_url_problem(
            _get("PUBLIC_BASE_URL"), explicit=_env.given("PUBLIC_BASE_URL"), stand_in=bool(_get("TWILIO_API_BASE_URL")),
        )
        if _problem:
            _problems.append(_problem)
if _problems:
    raise ImproperlyConfigured("clinicbot cannot start: " + "; ".join(_problems))

INSTALLED_APPS = [
    "offers.admin_apps.StaffAdminConfig",  # django.contrib.admin with the live board as its index
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "django_ratelimit",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "messaging",
    "waitlist",
    "offers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinicbot.middleware.IdleSessionTimeoutMiddleware",
    "clinicbot.middleware.ManagerOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinicbot.urls"
WSGI_APPLICATION = "clinicbot.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # plain-text SMS templates: no HTML autoescaping of "&" or quotes
        "NAME": "sms",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": False},
    },
]

# --- database -------------------------------------------------------------------------------
_db_url = _get("DATABASE_URL")
if TESTING and _get("TEST_DATABASE_URL"):
    _db_url = _get("TEST_DATABASE_URL")
try:
    _db = _e.db_url_config(_db_url)
except Exception as exc:  # noqa: BLE001 - any parse error is a configuration error
    raise ImproperlyConfigured(f"DATABASE_URL: cannot parse it ({exc.__class__.__name__})") from None
# Django's SQLite backend, remembering each statement's rewrite to SQLite's placeholders (core/sqlite)
_db["ENGINE"] = sqlite_engine(_db["ENGINE"])
if _db["ENGINE"] == SQLITE_ENGINE:
    # The embedded default serves a web process, workers and a timer at once: WAL lets readers
    # run beside the writer, IMMEDIATE takes the write lock at BEGIN (no upgrade deadlocks) and
    # the timeout queues writers instead of failing with "database is locked". A 32 MiB page
    # cache per connection (SQLite's default is 2 MiB): selection walks the waitlist in rank order,
    # and on a 20,000-entry list with the default cache each walk re-read its pages from the OS
    # (docs/SIMULATION.md, "Performance"); the cache only grows as pages are read.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;",
    }
    # A file (not in-memory) test database, so threaded tests share it; one per test process, so
    # concurrent runs on one machine do not clobber each other.
    _db["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")}
    (BASE_DIR / "var").mkdir(exist_ok=True)
else:
    # Reusing a connection saves a PostgreSQL backend start (a fork and authentication) per request
    # and per task; the health check at each request's first query replaces one a restart broke.
    _db["CONN_MAX_AGE"] = _get("DB_CONN_MAX_AGE")
    _db["CONN_HEALTH_CHECKS"] = True
    if _db["ENGINE"].endswith("postgresql"):
        # JIT compiles the wave query (a LIMIT over a large index) for ~100 ms at 1M entries while
        # it runs in under 1 ms: these are short OLTP queries (docs/PERFORMANCE.md, selection).
        _db.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{os.getpid()}"}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, rate limits ---------------------------------------------------------------------
REDIS_URL = _get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "clinicbot_cache"},
    }
RATELIMIT_USE_CACHE = "default"
SILENCED_SYSTEM_CHECKS = [
    # Django's own RedisCache is not on django-ratelimit's list, though its INCR is atomic.
    "django_ratelimit.W001",
]
if not REDIS_URL:
    # The embedded default counts auto-replies in the database cache: approximate under races,
    # which is acceptable for one machine; production requires REDIS_URL (checked above).
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")
# checked here, in every mode: django-ratelimit reads a rate only at the first auto-reply, and a bad one
# there silently drops every auto-reply or counts per second
AUTO_REPLY_RATE_PER_NUMBER = _env.parse_rate(_get("AUTO_REPLY_RATE_PER_NUMBER"), "AUTO_REPLY_RATE_PER_NUMBER")
AUTO_REPLY_RATE_GLOBAL = _env.parse_rate(_get("AUTO_REPLY_RATE_GLOBAL"), "AUTO_REPLY_RATE_GLOBAL")

# --- task queue (django-q2) -------------------------------------------------------------------
Q_BROKER = _get("Q_BROKER")
if Q_BROKER not in ("orm", "redis"):
    raise ImproperlyConfigured(f"Q_BROKER must be 'orm' or 'redis', not {Q_BROKER!r}")
if Q_BROKER == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("Q_BROKER=redis needs REDIS_URL")
Q_CLUSTER = {
    "name": "clinicbot",
    "workers": _get("Q_WORKERS"),
    # django-q2 requires retry > timeout, or a slow task is started twice.
    "timeout": 60,
    "retry": 90,
    "max_attempts": 3,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 1000,
    "poll": 0.05,
    "guard_cycle": 0.5,
    "label": "Tasks",
}
if Q_BROKER == "redis":
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- SMS --------------------------------------------------------------------------------------
TWILIO_ACCOUNT_SID = _get("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = _get("TWILIO_AUTH_TOKEN")
TWILIO_MESSAGING_SERVICE_SID = _get("TWILIO_MESSAGING_SERVICE_SID")
TWILIO_FROM_NUMBER = _get("TWILIO_FROM_NUMBER")
TWILIO_API_BASE_URL = _get("TWILIO_API_BASE_URL")
TWILIO_ADVANCED_OPT_OUT = _get("TWILIO_ADVANCED_OPT_OUT")
PUBLIC_BASE_URL = _get("PUBLIC_BASE_URL").rstrip("/")
WEBHOOK_SIGNATURE_CHECK = _get("WEBHOOK_SIGNATURE_CHECK")
# The token webhooks are signed with. Development and tests without Twilio sign with a fixed local
# token (the phone simulator does); production with no token rejects every webhook.
WEBHOOK_AUTH_TOKEN = TWILIO_AUTH_TOKEN or ("dev-auth-token" if (DEBUG or TESTING) else "")
SENDER_FAILURE_THRESHOLD = _get("SENDER_FAILURE_THRESHOLD")
SMS_SEGMENT_PRICE = _get("SMS_SEGMENT_PRICE")
# messaging hands parsed replies and delivery failures to the offer engine through this seam
# (messaging never imports offers; the wiring is named here).
MESSAGING_EVENT_HANDLER = "offers.seam.OfferEvents"

# --- clinic and engine ------------------------------------------------------------------------
CLINIC_NAME = _get("CLINIC_NAME")
CLINIC_PHONE = _get("CLINIC_PHONE")
# a misspelt zone would start, then fail every board page and timer tick that reads it
CLINIC_TIME_ZONE = _env.parse_time_zone(_get("CLINIC_TIME_ZONE"))
SENDING_HOURS = _env.parse_sending_hours(_get("SENDING_HOURS"))
OFFER_BATCH_SIZE = _get("OFFER_BATCH_SIZE")
OFFER_MAX_BATCH_SIZE = _get("OFFER_MAX_BATCH_SIZE")
OFFER_HOLD_MINUTES = _get("OFFER_HOLD_MINUTES")
OFFER_MIN_HOLD_MINUTES = _get("OFFER_MIN_HOLD_MINUTES")
OFFER_CUTOFF_MINUTES = _get("OFFER_CUTOFF_MINUTES")
OFFER_CAP_PER_DAY = _get("OFFER_CAP_PER_DAY")
OFFER_CAP_PER_WEEK = _get("OFFER_CAP_PER_WEEK")
OFFER_COOLDOWN_MINUTES = _get("OFFER_COOLDOWN_MINUTES")
OFFER_UNRESPONSIVE_AFTER = _get("OFFER_UNRESPONSIVE_AFTER")
OFFER_EXPIRY_GRACE_SECONDS = _get("OFFER_EXPIRY_GRACE_SECONDS")
EHR_FOLLOWUP_OVERDUE_MINUTES = _get("EHR_FOLLOWUP_OVERDUE_MINUTES")
PRIORITY_WEIGHTS = _env.parse_weights(_get("PRIORITY_WEIGHTS"))
DEFAULT_APPOINTMENT_TYPE = _get("DEFAULT_APPOINTMENT_TYPE")
VISIT_VALUE = _get("VISIT_VALUE")
TIMER_TICK_SECONDS = _get("TIMER_TICK_SECONDS")
MESSAGE_BODY_RETENTION_DAYS = _get("MESSAGE_BODY_RETENTION_DAYS")
WAITLIST_RETENTION_DAYS = _get("WAITLIST_RETENTION_DAYS")

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
try:  # whitenoise warns at every start when the folder is missing (before the first collectstatic)
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:
    pass
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG and not TESTING
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
# API keys (core/api_auth.py): stored hashed; an integration's key lives until it is rotated or
# revoked (no expiry: an EHR bridge cannot log in again), and carries a prefix that secret scanners
# and people can recognise.
REST_KNOX = {"TOKEN_TTL": None, "AUTO_REFRESH": False, "TOKEN_PREFIX": "cbk_"}
SPECTACULAR_SETTINGS = {
    "TITLE": "clinicbot integration API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # as in clinicbot.api_urls.SCHEMA_SETTINGS: `check --deploy` generates the schema with these global
    # settings, and warns (drf_spectacular.W001) without the shared name
    "ENUM_NAME_OVERRIDES": {"ProviderKindEnum": "waitlist.models.ProviderKind.values"},
}

# --- security ---------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_IDLE_MINUTES = _get("SESSION_IDLE_MINUTES")
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
TRUST_PROXY = _get("TRUST_PROXY")
if TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # behind the proxy every request comes from its address: lock logins out by the client's address,
    # which the proxy sets in X-Forwarded-For (clinicbot/proxy.py, deploy/nginx.conf)
    AXES_CLIENT_IP_CALLABLE = "clinicbot.proxy.client_ip"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = not TRUST_PROXY and PUBLIC_BASE_URL.startswith("https://")
CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL] if PUBLIC_BASE_URL.startswith("http") else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Optional second factor: managers and superusers confirm a TOTP device (clinicbot.middleware).
OTP_REQUIRED_FOR_MANAGERS = _get("OTP_REQUIRED_FOR_MANAGERS")
OTP_TOTP_ISSUER = "clinicbot"
# Error e-mails carry request data and tracebacks: off unless an operator turns them on knowingly,
# and even then POST data, query strings and local variables are blanked by this filter.
ADMIN_ERROR_EMAILS = _get("ADMIN_ERROR_EMAILS")
ADMINS = [("clinicbot operator", a) for a in _get("ADMIN_EMAILS")] if ADMIN_ERROR_EMAILS else []
if ADMIN_ERROR_EMAILS and not ADMINS:
    raise ImproperlyConfigured("ADMIN_ERROR_EMAILS is on but ADMIN_EMAILS names nobody")
if _get("EMAIL_URL"):
    globals().update(_e.email_url_config(_get("EMAIL_URL")))
DEFAULT_EXCEPTION_REPORTER_FILTER = "clinicbot.logging.PhiSafeExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "clinicbot.logging.PhiSafeExceptionReporter"

# --- `check --deploy` warnings silenced on purpose (each reason also in docs/SECURITY.md) --------
# W021 HSTS preload: submitting a domain to browsers' preload lists is hard to undo and covers every
# subdomain; it is the clinic's decision, made outside the app (HSTS itself is on, one year).
SILENCED_SYSTEM_CHECKS.append("security.W021")
if TRUST_PROXY:
    # W008 SSL redirect: behind TRUST_PROXY the TLS proxy redirects http to https itself (and only
    # it can: the app never sees the plain-http request's scheme except through the proxy's header).
    SILENCED_SYSTEM_CHECKS.append("security.W008")

# --- logging: no PHI (messaging.logutil masks phones) -----------------------------------------
LOG_JSON = _get("LOG_JSON") or (not DEBUG and not TESTING)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "phi": {"()": "clinicbot.logging.MaskPhoneFilter"},
        "task_enqueued": {"()": "clinicbot.logging.DropTaskEnqueuedLines"},
    },
    "formatters": {
        "plain": {"()": "clinicbot.logging.MaskingFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "clinicbot.logging.MaskingJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["phi"],
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # INFO: cluster start/stop lines operators and the shutdown test read; task names only, no PHI
        # (not the per-task "Enqueued" line: one per webhook on the request path)
        "django-q": {"handlers": ["console"], "level": "INFO", "propagate": False, "filters": ["task_enqueued"]},
        # replaces Django's default "django" logger, whose mail_admins handler would e-mail reports
        # whenever ADMINS is set, ADMIN_ERROR_EMAILS or not
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # the SDK logs every API request at INFO (URL with the account SID, headers)
        "twilio.http_client": {"level": "WARNING"},
    },
}
if ADMIN_ERROR_EMAILS:
    LOGGING["handlers"]["mail_admins"] = {
        "class": "django.utils.log.AdminEmailHandler", "level": "ERROR", "filters": ["phi"],
    }
    LOGGING["loggers"]["django.request"]["handlers"].append("mail_admins")

LOGIN_URL = "admin:login"
