"""django-q2's per-task "Enqueued" line (one per inbound webhook, on the request path) is dropped;
the cluster's lifecycle and task lines that operators and the shutdown test read are kept."""

import logging


def _passes(message: str) -> bool:
    logger = logging.getLogger("django-q")
    return bool(logger.filter(logger.makeRecord("django-q", logging.INFO, __file__, 1, message, None, None)))


def test_the_per_task_enqueued_line_is_dropped():
    assert not _passes("Enqueued [django_q:clinicbot:q] 1234")


def test_the_cluster_lines_are_kept():
    assert _passes("Q Cluster oscar-wisconsin-four-tennessee starting.")
    assert _passes("Processed 'messaging.tasks.inbound_process_task' (summer-fourteen-lion-cold)")
