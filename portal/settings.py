"""Settings for the Children's social care data service.

Every deployment-specific value comes from the environment (12-factor). With nothing set, the
service runs on the *embedded default*: SQLite, a local-memory cache and a Celery broker kept in
files under ``var/`` — no servers needed. Production (``DEBUG`` off) must use PostgreSQL and
Redis; ``portal.checks`` refuses to start otherwise.
"""

from __future__ import annotations

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# The demo (``scripts/dev.py serve``): DEBUG off, so people see the service's own pages (never
# Django's debug pages, which list every URL), yet on the embedded default with local-only
# secrets and plain HTTP on loopback. Never set it in a deployment: ``check --deploy`` warns
# about the demo's secret key, and nothing of the demo is secure for real data.
DEMO = env.bool("DEMO", default=False)
#: Development or demo: the embedded default and its local-only conveniences are allowed.
EMBEDDED = DEBUG or DEMO
# No default outside development and the demo: production must be given a real secret.
# Without one the key is empty, and Django refuses anything that signs or hashes with it
# (sessions, tokens), while commands that need no secret (the offline checker) still run;
# ``portal.checks`` stops the web server and workers starting without it.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key" if EMBEDDED else "")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if EMBEDDED else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SERVICE_NAME = "Children's social care data"
# Where the phase banner's "give your feedback" link goes: a form or a mailto: address
# (docs/deployment.md). Empty: the accessibility statement's feedback and contact section.
FEEDBACK_URL = env.str("FEEDBACK_URL", default="")
#: Where anyone, signed in or not, can write to the service team (the accessibility statement,
#: the privacy notice). Production must set it (portal.checks); development and the demo
#: show a placeholder.
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="")
if EMBEDDED and not CONTACT_EMAIL:
    CONTACT_EMAIL = "csc-data-team@example.org"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    # portal comes before allauth so its GOV.UK templates override allauth's.
    "portal",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "pgtrigger",
    # OAuth2 client credentials for the API intake (submissions.api).
    "oauth2_provider",
    "submissions",
    "indicators",
    "dashboards",
    "workers",
]

MIDDLEWARE = [
    "portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a signed-in user unless it is on the public allow-list
    # (decorated with ``login_not_required``).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # In place of allauth's UserSessionsMiddleware: "last seen" and the idle clock, written
    # at most once a minute (portal.middleware).
    "portal.middleware.SessionActivityMiddleware",
    "portal.middleware.SessionLifetimeMiddleware",
    "portal.middleware.RequireMFAMiddleware",
    "portal.middleware.NoStoreForSignedInMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.service",
            ],
        },
    },
]
# Every Django form renders with GOV.UK Design System markup (label, hint, error message).
FORM_RENDERER = "portal.forms.GovukFormRenderer"

# --- Data stores --------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker process writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# The cache may live in a Redis of its own (compose: least-recently-used eviction, so cached
# pages can never crowd out the broker's messages, which a noeviction Redis keeps).
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "csc",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery (namespace CELERY_) -----------------------------------------------------------
# Embedded default: kombu's filesystem transport, so a real worker process runs with no server.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
else:
    # Redelivery of an unacknowledged task happens after the visibility timeout; it must be
    # longer than the longest task's hard time limit or tasks are run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True  # job state lives in our tables, never the result backend
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_MAX_TASKS_PER_CHILD = 50
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# One queue per kind of work, each consumed by its own workers (compose, Procfile.dev): a long
# check never delays the indicators, and nothing ever delays the reconciler, which must run
# every SUBMISSION_RECONCILE_SECONDS for a dead worker's job to resume in time.
CELERY_TASK_ROUTES = {
    "workers.process_submission": {"queue": "checks"},
    "workers.compute_indicators": {"queue": "indicators"},
    # Public pages built ahead of visitors after a data load: one short task per indicator.
    "workers.warm_indicator_pages": {"queue": "indicators"},
    "workers.reconcile_submissions": {"queue": "housekeeping"},
    "workers.purge_raw_files": {"queue": "housekeeping"},
    "workers.purge_canonical_extracts": {"queue": "housekeeping"},
    "workers.clear_expired_tokens": {"queue": "housekeeping"},
    "workers.remove_deactivated_accounts": {"queue": "housekeeping"},
    "workers.heartbeat": {"queue": "housekeeping"},
    "workers.snapshot_api_feeds": {"queue": "housekeeping"},
}
CELERY_TASK_DEFAULT_QUEUE = "housekeeping"


# --- Uploaded files and the submission pipeline -------------------------------------------
# Master key (base64 of 32 random bytes) that wraps each uploaded file's own data key.
FILE_ENCRYPTION_KEY = env.str("FILE_ENCRYPTION_KEY", default="")
if EMBEDDED and not FILE_ENCRYPTION_KEY:
    # The embedded default derives one from SECRET_KEY so it works with no set-up. Production
    # has no default (``submissions.checks``): there, files must outlive a SECRET_KEY rotation.
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    _hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"csc file encryption")
    FILE_ENCRYPTION_KEY = base64.b64encode(_hkdf.derive(SECRET_KEY.encode())).decode()
# Encrypted uploads, under random names; outside STATIC_ROOT and the media folder, never served.
UPLOAD_DIR = Path(env.str("UPLOAD_DIR", default=str(VAR_DIR / "uploads")))
UPLOAD_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
UPLOAD_MAX_FILE_BYTES = env.int("UPLOAD_MAX_FILE_BYTES", default=200 * 1000 * 1000)
UPLOAD_MAX_FILES = env.int("UPLOAD_MAX_FILES", default=20)
RAW_FILE_RETENTION_DAYS = env.int("RAW_FILE_RETENTION_DAYS", default=30)
# A superseded submission's stored canonical extract is kept this long after it was superseded
# (the LA's accepted one's while it is current; one with errors, or failed, with its raw files).
CANONICAL_RETENTION_DAYS = env.int("CANONICAL_RETENTION_DAYS", default=90)
# A deactivated account's personal data is erased this long after deactivation (portal.retention).
ACCOUNT_RETENTION_DAYS = env.int("ACCOUNT_RETENTION_DAYS", default=90)
SUBMISSION_MAX_ATTEMPTS = env.int("SUBMISSION_MAX_ATTEMPTS", default=3)
# A submission in a working state this long is stuck: its worker died. Must exceed
# CELERY_TASK_TIME_LIMIT (checked), so a task that is still running is never taken over.
SUBMISSION_STUCK_AFTER_MINUTES = env.float("SUBMISSION_STUCK_AFTER_MINUTES", default=40)
# A worker holds a check or an indicator computation for this long, renewing it while it runs
# (several times per lease). A lease that lapses means the worker died: the reconciler, every
# SUBMISSION_RECONCILE_SECONDS, re-queues the job. Together they bound how long a killed
# worker's job waits (portal.W001 warns above two minutes).
SUBMISSION_LEASE_SECONDS = env.float("SUBMISSION_LEASE_SECONDS", default=60)
SUBMISSION_RECONCILE_SECONDS = env.float("SUBMISSION_RECONCILE_SECONDS", default=30)
# Computing an accepted submission's indicators is tried this often, then marked failed and
# the LA's data leads are emailed.
INDICATORS_MAX_ATTEMPTS = env.int("INDICATORS_MAX_ATTEMPTS", default=3)
# Every upload streams to a temporary file, capped per file while it streams.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_HANDLERS = ["submissions.storage.SizeLimitedUploadHandler"]
# Links in emails (workers have no request to build them from).
SERVICE_BASE_URL = env.str("SERVICE_BASE_URL", default="http://127.0.0.1:8000" if EMBEDDED else "")

# --- API intake (submissions.api) ----------------------------------------------------------
# Case-management systems post the DfE CSC API payload (docs/api-intake.md). They sign in with
# OAuth2 client credentials (django-oauth-toolkit) and also send a SupplierKey header, checked
# as an HMAC under this secret. Production must set it (portal.checks): rotating SECRET_KEY
# must not lock every sender out.
API_SUPPLIER_KEY_SECRET = env.str("API_SUPPLIER_KEY_SECRET", default="")
if EMBEDDED and not API_SUPPLIER_KEY_SECRET:
    import hashlib

    API_SUPPLIER_KEY_SECRET = hashlib.sha256(b"csc supplier key " + SECRET_KEY.encode()).hexdigest()
#: The scope a sender asks for in its token request (the sender's SCOPE setting). A client may
#: ask for it, or for none; anything else is refused by the token endpoint.
API_OAUTH_SCOPE = env.str("API_OAUTH_SCOPE", default="api://children-social-care-data/.default")
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "SCOPES": {API_OAUTH_SCOPE: "Send children's social care data for one local authority"},
    "DEFAULT_SCOPES": [API_OAUTH_SCOPE],
    # Each client may ask for the scope its account holds (by default API_OAUTH_SCOPE).
    "SCOPES_BACKEND_CLASS": "portal.api_clients.ClientScopes",
    # The OAuth 2.0 Security BCP (RFC 9700) throughout: tokens stored hashed, no implicit or
    # password grant, no tokens in query strings, https redirect URIs only (there are none:
    # senders use client credentials), refresh-token replay revokes the family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Client credentials only: every Application is created with that grant type
# (portal.api_clients), and DOT refuses any other grant for it.
#: Largest request body the intake reads (a batch of 100 full records is well under 1 MB).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=10 * 1000 * 1000)
API_MAX_RECORDS = env.int("API_MAX_RECORDS", default=100)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=12)
# Per-client token bucket on the shared cache: the sender posts about 20 batches a second,
# retries three times and ignores Retry-After, so the sustained rate must stay above that.
API_RATE_LIMIT_BURST = env.int("API_RATE_LIMIT_BURST", default=50)
API_RATE_LIMIT_PER_SECOND = env.float("API_RATE_LIMIT_PER_SECOND", default=25.0)

# --- Authentication -----------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, loading with the user whether they have an authenticator app.
    "portal.auth_backends.PortalModelBackend",
    "portal.auth_backends.AllauthBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_ADAPTER = "portal.adapters.InviteOnlyAccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SERVICE_NAME}] "
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# An account without an authenticator app proves it controls its email address with a code
# sent in the same sign-in, before setting one up (portal.adapters). Not offered as a way to
# sign in without a password: ACCOUNT_LOGIN_BY_CODE_ENABLED stays False. Ten minutes allows
# for slow email; three tries (allauth's default) then the sign-in starts again.
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SERVICE_NAME
# "Last seen" on the sessions page; recorded by portal.middleware.SessionActivityMiddleware
# (allauth's own middleware, which writes on every request, is not installed).
USERSESSIONS_TRACK_ACTIVITY = True
MFA_TRUST_ENABLED = False
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "portal.passwords.BreachedPatternValidator"},
]

# --- Client address behind proxies ----------------------------------------------------------
# How many proxies in front of the service append to X-Forwarded-For (0: trust none, use the
# peer address). The rate limits, the audit trail (portal.audit) and gunicorn's access log
# take the client address from this many entries from the right.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# --- Sessions, cookies and security headers -----------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 30 * 60  # idle timeout, sliding (portal.middleware.SessionActivityMiddleware)
SESSION_ACTIVITY_SECONDS = 60  # how often at most a request restarts the idle clock
SESSION_ABSOLUTE_SECONDS = 10 * 60 * 60  # signed out 10 hours after sign-in, however active
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not EMBEDDED:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # __Host- cookies must be Secure, host-only and Path=/ (ASVS 3.3.3).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_HTTPONLY = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": [],
    "geolocation": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not EMBEDDED
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Development and the demo serve static files straight from the apps (no collectstatic); WhiteNoise
# only does that by itself when DEBUG is on.
WHITENOISE_USE_FINDERS = EMBEDDED

# --- Email --------------------------------------------------------------------------------
# EMAIL_URL examples: consolemail:// (default), smtp+tls://user:pass@smtp.example.org:587
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@csc-data.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Logging: one line per event on stdout, never child data ------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
