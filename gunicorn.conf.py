"""gunicorn settings for the production image (override with GUNICORN_CMD_ARGS)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = 2
timeout = 60
# Uploads are streamed to disk by Django; keep request bodies out of gunicorn's memory.
limit_request_line = 8190
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
