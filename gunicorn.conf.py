"""gunicorn settings for the production image (override with GUNICORN_CMD_ARGS)."""

import ipaddress
import os
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Synchronous workers, one request at a time each: a worker takes a connection only when it is
# free, so the load spreads evenly, and no two requests in one process wait on each other for
# the interpreter lock. Measured on 2 cores with 20 clients (benchmarks.restricted_load): p95
# 181 ms with 3 sync workers, 278 ms with 3 workers x 2 threads, 281 ms with 3 gthread workers
# of 1 thread (which accept connections they cannot serve yet). Like any sync server this needs
# a buffering proxy in front (nginx buffers request bodies by default), so that a slow upload
# holds the proxy, not a worker; GUNICORN_THREADS=2 brings back threaded workers.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 60
# Uploads are streamed to disk by Django; keep request bodies out of gunicorn's memory.
limit_request_line = 8190
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Behind TRUSTED_PROXY_COUNT proxies the peer is the proxy: log the client address the same way
# the rate limits and the audit trail take it (portal.settings, portal.audit), and the request
# id, so an access-log line can be matched to audit events.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %({x-request-id}o)s'
)


def client_address(environ: dict[str, str], trusted_proxy_count: int) -> str:
    """The entry ``trusted_proxy_count`` from the right of X-Forwarded-For, if there is one and
    it is an address; otherwise the peer address."""
    peer = environ.get("REMOTE_ADDR", "-")
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
    if trusted_proxy_count <= 0 or not forwarded:
        return peer
    entries = forwarded.split(",")
    if len(entries) < trusted_proxy_count:
        return peer
    try:
        return str(ipaddress.ip_address(entries[-trusted_proxy_count].strip()))
    except ValueError:
        return peer


class ClientAddressLogger(Logger):
    def atoms(
        self, resp: Any, req: Any, environ: dict[str, str], request_time: Any
    ) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["h"] = client_address(environ, TRUSTED_PROXY_COUNT)
        return atoms


logger_class = ClientAddressLogger
