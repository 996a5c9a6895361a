"""gunicorn settings for clinicbot (make run and production alike)."""

import os

workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG") else None
# Client addresses in logs are not PHI, but full query strings could be: keep the default format
# (webhooks are POST bodies, never logged).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
