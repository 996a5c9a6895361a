"""The worker process (Procfile `worker`, clinicbot-worker.service): django-q2's cluster, stopped
in order from the main loop instead of from inside a signal handler.

django-q2's own `qcluster` stops the cluster inside its SIGTERM handler (`Cluster.sig_handler` ->
`stop_event.set()` and `sentinel.join()`). Neither is safe in a signal handler: when the signal
lands while the interrupted frame holds the lock they need, the process logs "stopping" and hangs
until systemd kills it, cutting off any text being sent (django-q2 issue #346, open; we saw it
about once in six stops under load). Here the handler only records the signal; the stop runs in
ordinary code, where waiting on a lock is harmless."""

from __future__ import annotations

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the django-q2 cluster (sends texts, starts waves); SIGTERM or SIGINT stops it in order."

    def handle(self, *args, **options):
        from django_q.cluster import Cluster

        settings.SECRET_KEY  # noqa: B018 - django-q2 signs task payloads: fail now, not at the first task
        cluster = Cluster()  # installs django-q2's handlers, replaced below
        asked: list[int] = []

        def _ask(signum, frame):
            # list.append takes no lock that the interrupted frame could be holding
            asked.append(signum)

        signal.signal(signal.SIGTERM, _ask)
        signal.signal(signal.SIGINT, _ask)
        cluster.start()
        while not asked and cluster.sentinel.is_alive():
            time.sleep(0.2)
        if asked:
            cluster.stop()
            return
        # the sentinel died without being asked to: let the supervisor (systemd, honcho) restart us
        raise CommandError(f"the django-q2 cluster's sentinel exited with code {cluster.sentinel.exitcode}")
