"""Why the worker's systemd unit says KillMode=mixed: the django-q2 cluster shuts down in order when its
main process alone gets SIGTERM (what systemd's `mixed` mode does), so no task is cut off mid-send.
`run_worker` stops the cluster outside the signal handler (django-q2's own `qcluster` sometimes hangs
there, django-q2 issue #346)."""

import os
import signal
import subprocess
import sys
import uuid

from clinicbot.settings.env import VARIABLES

from . import smoke


def test_worker_stops_cleanly_when_only_its_main_process_gets_sigterm(tmp_path):
    marker = uuid.uuid4().hex
    with smoke.unused_redis_db() as redis_url:
        env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
        env.update(
            CLINICBOT_IGNORE_DOTENV="1", DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            REDIS_URL=redis_url, Q_BROKER="redis", PYTHONUNBUFFERED="1", **{smoke.MARKER: marker},
        )
        migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=smoke.REPO, env=env,
                                 capture_output=True, text=True, timeout=120)
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        log_path = tmp_path / "qcluster.log"
        with open(log_path, "wb") as log:
            cluster = subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=smoke.REPO, env=env,
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            smoke.wait_for(lambda: "running." in log_path.read_text(), timeout=120, what="the cluster to start")
            children = set(smoke.marked_processes(marker)) - {cluster.pid}
            assert children, "the cluster runs its pusher, workers and monitor as child processes"
            os.kill(cluster.pid, signal.SIGTERM)
            returncode = cluster.wait(timeout=60)
            smoke.wait_for(lambda: not smoke.marked_processes(marker), timeout=20, what="the cluster's children to exit")
        finally:
            left = smoke.stop_process_tree(cluster, marker, term_timeout=5)
    text = log_path.read_text()
    assert "has stopped" in text, text[-3000:]
    assert returncode == 0
    assert left["left"] == []
