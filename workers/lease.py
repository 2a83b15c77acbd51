"""Keep a job's lease while its task runs.

Progress steps renew the lease too, but they can be minutes apart (reading a 200 MB census is
one step), so a small thread renews it every quarter of SUBMISSION_LEASE_SECONDS. The thread
dies with its process: a SIGKILLed worker stops renewing, the lease lapses, and the reconciler
re-queues the job. A renewal that fails for a moment (the database busy) is retried at the
next tick; the lease allows for three misses.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def renew_every() -> float:
    return max(0.5, settings.SUBMISSION_LEASE_SECONDS / 4)


@contextmanager
def lease_kept(renew: Callable[[], bool], what: str) -> Iterator[None]:
    """Run the body while a daemon thread calls ``renew`` every ``renew_every()`` seconds.
    ``renew`` returning False (the claim is no longer ours) stops the renewals; the body finds
    out at its next fenced write (``ClaimLost``)."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(renew_every()):
                try:
                    if not renew():
                        if not stop.is_set():  # not merely finished while we renewed
                            logger.warning("%s: claim no longer ours; lease not renewed", what)
                        return
                except Exception as exc:  # retried at the next tick; never any data in logs
                    logger.warning("%s: could not renew the lease (%s)", what, type(exc).__name__)
        finally:
            connection.close()  # this thread's own database connection

    thread = threading.Thread(target=loop, name=f"lease {what}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
