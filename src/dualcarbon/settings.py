"""Django settings: SQLite (WAL) by default, PostgreSQL through DATABASE_URL.

Production is the default: DEBUG only with ``DJANGO_DEBUG=1``, no start without a secret key, TLS
hardening with ``DUALCARBON_TLS=1``. Every environment variable read here is listed, with its production
value, in docs/security.md § Deployment settings.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("DUALCARBON_VAR", Path.cwd() / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """1/true/yes/on or 0/false/no/off; unset or empty: the default; anything else refuses to start."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={os.environ[name]!r}: expected 1 or 0 (true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number") from None
    if number < 0:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a number ≥ 0")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


#: ``dualcarbon demo`` (and ``python -m dualcarbon demo``): the local demo runs with DEBUG off like
#: production, with its own secret key in var/secret_key and a log file in var/log.
RUNNING_DEMO = sys.argv[1:2] == ["demo"]

DEBUG = env_bool("DJANGO_DEBUG", False)


def _local_secret_key(path: Path) -> str:
    """The demo's key: generated once into ``path`` (mode 600), read from there afterwards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY", "").strip()
    key_file = os.environ.get("DJANGO_SECRET_KEY_FILE", "").strip()
    if not key and key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"DJANGO_SECRET_KEY_FILE={key_file!r} cannot be read: {exc}") from None
    if key:
        return key
    if RUNNING_DEMO:
        return _local_secret_key(VAR_DIR / "secret_key")
    if DEBUG:
        return "django-insecure-development-only-key-never-used-with-debug-off"
    if "mypy" in sys.modules:  # django-stubs' mypy plugin reads the settings in the type checker: it serves nothing
        return "type-checking-only-key-never-used-to-serve"
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Set DJANGO_SECRET_KEY (a long random string, e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`) or DJANGO_SECRET_KEY_FILE (a file "
        "holding it); for development only, DJANGO_DEBUG=1 runs with a fixed insecure key. See docs/security.md."
    )


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- TLS: DUALCARBON_TLS=1 when the site is reached over HTTPS (each part can be overridden) ---------------
TLS = env_bool("DUALCARBON_TLS", False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", TLS)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000 if TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", TLS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", TLS)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", TLS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", TLS)
# behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto (and strips it from clients)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True  # the pages hand the token to htmx and forms in the HTML, never through the cookie

# --- Sessions: an idle timeout and an absolute lifetime (dualcarbon.web.middleware.SessionTimeoutMiddleware) ---
#: seconds without a request after which a signed-in user is signed out
SESSION_IDLE_TIMEOUT = env_int("DUALCARBON_SESSION_IDLE_MINUTES", 30) * 60
#: seconds after signing in after which the session ends whatever the activity
SESSION_COOKIE_AGE = env_int("DUALCARBON_SESSION_MAX_HOURS", 12) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "simple_history",
    "ninja",
    "csp",
    "dualcarbon.web",
    "dualcarbon.registry",
    "dualcarbon.reporting",
    "dualcarbon.accounting",
    "dualcarbon.finance",
    "dualcarbon.rating",
    "dualcarbon.monitoring",
    "dualcarbon.planning",
    "dualcarbon.policy",
    "dualcarbon.assets",
    "dualcarbon.programme",
    "dualcarbon.demo",
]

MIDDLEWARE = [
    # first: every response, static files and redirects included, carries X-Request-ID and its log lines the id
    "dualcarbon.web.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # signs out after SESSION_IDLE_TIMEOUT without a request or SESSION_COOKIE_AGE after signing in
    "dualcarbon.web.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # AxesMiddleware last: it turns lockouts into a clear response
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # throttles failed logins per user name and address
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("DUALCARBON_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

ROOT_URLCONF = "dualcarbon.urls"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "dualcarbon.wsgi.application"

_default_sqlite = f"sqlite:///{VAR_DIR / 'dualcarbon.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as a server database: readers never block the writer (WAL); every transaction takes the write lock
    # when it begins (BEGIN IMMEDIATE, Django 5.1+), so a reader never has to upgrade to a writer mid-way — the
    # upgrade SQLite refuses at once with "database is locked"; a writer waits up to 5 s for the lock (busy
    # timeout), then the request answers 409 (reporting.services.writing). docs/security.md § Input limits.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 5,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON;",
        }
    )

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # "ent1ent1", "abcabcabcabc", "aaaaaaaaaaaa": a short pattern repeated
    {"NAME": "dualcarbon.web.passwords.RepeatedPatternValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
#: ``dualcarbon collectstatic`` writes here (the demo does it before serving); WhiteNoise serves it
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # compressed files with content hashes in their names (cached for a year); plain names until collected
    "staticfiles": {"BACKEND": "dualcarbon.web.staticfiles.StaticStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# E-mail (alert notifications) through Django's e-mail framework: SMTP when EMAIL_HOST is set, otherwise one
# file per message under var/mail (DJANGO_EMAIL_BACKEND overrides both, e.g. the console backend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587" if os.environ.get("EMAIL_USE_TLS") == "1" else "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "双碳平台 DualCarbon <noreply@dualcarbon.invalid>")
DUALCARBON_EMAIL_SUBJECT_PREFIX = os.environ.get("DUALCARBON_EMAIL_SUBJECT_PREFIX", "双碳平台")
#: the address links in e-mails point to
DUALCARBON_SITE_URL = os.environ.get("DUALCARBON_SITE_URL", "http://127.0.0.1:8000")

# --- Content-Security-Policy (django-csp): scripts and styles only from this site, nothing inline but
# style="" attributes (bar widths); charts are inline SVG without scripts; htmx is a static file configured
# without eval or inline styles (web/base.html). DUALCARBON_CSP_REPORT_URI: where browsers report violations.
_CSP_DIRECTIVES: dict[str, list[str] | bool | str] = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "style-src-attr": [UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "font-src": [SELF, "data:"],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [NONE],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
if TLS:
    _CSP_DIRECTIVES["upgrade-insecure-requests"] = True
if os.environ.get("DUALCARBON_CSP_REPORT_URI"):
    _CSP_DIRECTIVES["report-uri"] = os.environ["DUALCARBON_CSP_REPORT_URI"]
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}

# --- Logging: every record carries the request id (dualcarbon.web.log); errors with their traceback ---------
#: a directory for dualcarbon.log (rotated); the demo writes var/log/dualcarbon.log
LOG_DIR = os.environ.get("DUALCARBON_LOG_DIR", str(VAR_DIR / "log") if RUNNING_DEMO else "")
LOG_LEVEL = os.environ.get("DUALCARBON_LOG_LEVEL", "INFO").upper()
_log_handlers = ["console"]
LOGGING: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dualcarbon.web.log.RequestIDFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"},
    },
    "root": {"handlers": _log_handlers, "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers are replaced: its records (django.request: 4xx warnings, 5xx errors with the
        # traceback) reach the root handlers above
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "axes": {"level": "WARNING"},  # not its start banner on every command; lockouts are warnings
    },
}
if LOG_DIR:
    Path(LOG_DIR).mkdir(parents=True, exist_ok=True)
    LOGGING["handlers"]["file"] = {  # type: ignore[index]
        "class": "logging.handlers.RotatingFileHandler",
        "filename": str(Path(LOG_DIR) / "dualcarbon.log"),
        "maxBytes": 10 * 1024 * 1024,
        "backupCount": 5,
        "encoding": "utf-8",
        "filters": ["request_id"],
        "formatter": "plain",
    }
    _log_handlers.append("file")


# =====================================================================================================================
# Background jobs and audit checkpoints (issue 12, items 6 and 7) — appended block, owned by the import/audit work
# ---------------------------------------------------------------------------------------------------------------------
# django-tasks (the backport of Django 6's tasks) with its database backend (django-tasks-db): a large Excel upload is
# imported by a job stored in the database and run by `dualcarbon db_worker` (no broker). Set
# DUALCARBON_TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend to run jobs inside the request instead
# (no worker needed; the tests do this per test).
INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DUALCARBON_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
#: an upload larger than this (bytes), or with more data rows than this, is imported by a background job
DUALCARBON_IMPORT_ASYNC_BYTES = int(os.environ.get("DUALCARBON_IMPORT_ASYNC_BYTES", str(1024 * 1024)))
DUALCARBON_IMPORT_ASYNC_ROWS = int(os.environ.get("DUALCARBON_IMPORT_ASYNC_ROWS", "2000"))

# The bank read log's checkpoints (registry.checkpoints, docs/security.md § Audit chain checkpoints): HMAC-SHA256
# under a key kept outside the database — DUALCARBON_AUDIT_KEY (the key itself) or DUALCARBON_AUDIT_KEY_FILE (a file
# holding it, mode 600; `dualcarbon audit_checkpoint --create-key` writes one, the demo does) — and the external
# append-only file each checkpoint is also written to (empty: none), to be shipped off the machine.
DUALCARBON_AUDIT_KEY = os.environ.get("DUALCARBON_AUDIT_KEY", "")
DUALCARBON_AUDIT_KEY_FILE = os.environ.get("DUALCARBON_AUDIT_KEY_FILE", str(VAR_DIR / "audit.key"))
DUALCARBON_AUDIT_CHECKPOINT_FILE = os.environ.get(
    "DUALCARBON_AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.log")
)
