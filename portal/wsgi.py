"""WSGI entry point (gunicorn). Refuses to start when a system check reports an error."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

from django.core import checks  # noqa: E402
from django.core.management.base import SystemCheckError  # noqa: E402

_errors = [e for e in checks.run_checks() if e.is_serious() and not e.is_silenced()]
if _errors:
    raise SystemCheckError("\n".join(str(e) for e in _errors))
