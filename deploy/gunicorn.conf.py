"""gunicorn settings for clinicbot (make run, the smoke test and production alike; docs/DEPLOYMENT.md).

Process-level variables (read here, not by Django): WEB_BIND (in the Procfile and the systemd unit),
WEB_WORKERS, WEB_THREADS, WEB_ACCESS_LOG, FORWARDED_ALLOW_IPS."""

import os

proc_name = "clinicbot-web"
# gthread: Twilio's webhooks and the board's polls are short; threads keep a slow request from
# blocking the others without the memory of more processes. Each thread may hold one database
# connection, so PostgreSQL needs workers x threads connections per web node.
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# Twilio gives up on a webhook after 15 s; nothing we serve should take longer than a few.
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
# The worker heartbeat file on tmpfs: a slow or read-only disk must not get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn >= 25 opens a control socket at $HOME/.gunicorn/gunicorn.ctl by default: two instances on one
# machine (make run beside the smoke test, or two units) would fight over it, and a service user's home
# may not be writable. Nothing here uses gunicornc.
control_socket_disable = True

# Access log: method, path without the query string, status, size, duration. Query strings (admin
# searches by name) and referers can carry PHI; webhooks are POST bodies and never logged.
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG") else None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

# X-Forwarded-Proto from these addresses sets the request scheme (the TLS proxy; docs/DEPLOYMENT.md).
# Only a proxy that sets and strips the header may be listed.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
