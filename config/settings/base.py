"""Settings shared by every environment; values come from the environment."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "accounts",
    "reviews",
    "audit",
    "operations",
    "entitlements",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.CleanHeadersMiddleware",
    "config.errors.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.sessions.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.middleware.PrivatePagesMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "audit.middleware.DenialAuditMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL switches to PostgreSQL (production, CI).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate-limit counters: shared through Redis in production (CACHE_URL=redis://…).
_CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
    if _CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Security headers on every response. No inline script anywhere; styles come from files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

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
]

# Login throttling: the attempt after AXES_FAILURE_LIMIT failures for one address from one
# client gets 429 until the cool-off ends; a success resets the count.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["password"]
# The sign-in form posts the email address as "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.security.axes_username"

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Signed-in sessions end after 30 idle minutes and at most 12 hours after sign-in
# (accounts/sessions.py).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 12 * 3600)

# Two-factor sign-in (TOTP): optional for everyone, required for policy staff.
OTP_TOTP_ISSUER = "Gatehouse"
# Keys stay out of the admin: people manage their own authenticator in the portal.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Onboarding.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 3600)
INVITATION_MAX_AGE = env_int("INVITATION_MAX_AGE", 7 * 24 * 3600)
PERSONAL_EMAIL_DOMAINS = env_list(
    "PERSONAL_EMAIL_DOMAINS",
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "yandex.ru",
        "qq.com",
        "163.com",
    ],
)

# Supporting documents live outside the web root and are served only through a view.
DOCUMENTS_ROOT = env_str("DOCUMENTS_ROOT", str(BASE_DIR / "var" / "documents"))
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
# Larger bodies are refused before Django reads them whole (the proxy should cap them too).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Bytes of an uploaded file past DOCUMENT_MAX_BYTES are dropped before Django keeps them
# (reviews/documents.py); the proxy in front should cap request bodies too.
FILE_UPLOAD_HANDLERS = [
    "reviews.documents.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
APPROVAL_VALIDITY_DAYS = env_int("APPROVAL_VALIDITY_DAYS", 365)
REATTESTATION_REMINDER_DAYS = (30, 7)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"


def mailers(default_backend: str) -> dict:
    """Return MAILERS from EMAIL_BACKEND and the EMAIL_* SMTP settings."""
    options = {
        "host": env_str("EMAIL_HOST", ""),
        "port": env_int("EMAIL_PORT", 0),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
    return {
        "default": {
            "BACKEND": env_str("EMAIL_BACKEND", default_backend),
            "OPTIONS": {key: value for key, value in options.items() if value},
        }
    }


MAILERS = mailers("django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Gatehouse <no-reply@gatehouse.localhost>")

# Celery: no broker configured means tasks run in-process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = env_str("CELERY_BROKER_URL", "") == ""
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "") or "memory://"
# An in-process task that fails is handled as a worker would handle it (retried, then kept
# as an operations.FailedTask), not raised into the request that published it after commit.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A published version's re-assessment is cut into this many id ranges, one task each, so
# that every worker takes a share; a few more parts than workers evens out their speeds.
REASSESSMENT_PARTS = env_int("REASSESSMENT_PARTS", 4)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "gatehouse")
# Workers keep their database connection between tasks as web processes do between requests
# (operations/signals.py); Celery's fixup still closes it once every this many tasks.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "sweep-unassessed": {
        "task": "reviews.tasks.sweep_unassessed",
        "schedule": env_int("SWEEP_INTERVAL", 300),
    },
    "audit-checkpoint": {
        "task": "audit.tasks.write_checkpoint",
        "schedule": env_int("AUDIT_CHECKPOINT_INTERVAL", 3600),
    },
    "sla-digest": {
        "task": "reviews.tasks.send_sla_digest",
        "schedule": env_int("SLA_DIGEST_INTERVAL", 24 * 3600),
    },
    "approvals-expiry": {
        "task": "reviews.tasks.process_approval_expiry",
        "schedule": env_int("APPROVAL_EXPIRY_INTERVAL", 3600),
    },
    "prune-task-records": {
        "task": "operations.tasks.prune_task_records",
        "schedule": 24 * 3600,
    },
    # Entitlements end at their valid_until even if no approval expiry ran (docs/api.md).
    "entitlements-expiry": {
        "task": "entitlements.tasks.expire_entitlements",
        "schedule": env_int("ENTITLEMENTS_EXPIRY_INTERVAL", 300),
    },
}
# Redis redelivers a message no worker acknowledged within the visibility timeout: a task
# of a worker killed outright runs again at most CELERY_VISIBILITY_TIMEOUT +
# CELERY_UNACKED_RESTORE_INTERVAL seconds later (kombu looks for such messages every
# interval; the throttle of 1 makes every look a real one). The timeout must exceed the
# longest task and the longest retry countdown (300 s, config/tasks.py), or healthy tasks
# are delivered twice (which the receipts in operations/delivery.py then skip).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": 1,
}
# Each worker records a heartbeat every WORKER_HEARTBEAT_INTERVAL seconds; /healthz reports
# the workers dead once the freshest is older than WORKER_HEARTBEAT_STALE_AFTER seconds.
WORKER_HEARTBEAT_INTERVAL = env_int("WORKER_HEARTBEAT_INTERVAL", 30)
WORKER_HEARTBEAT_STALE_AFTER = env_int("WORKER_HEARTBEAT_STALE_AFTER", 120)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Review workflow.
SLA_BUSINESS_DAYS = {
    "prohibited": env_int("SLA_DAYS_PROHIBITED", 3),
    "escalate": env_int("SLA_DAYS_ESCALATE", 10),
    "approvable": env_int("SLA_DAYS_APPROVABLE", 5),
}
# Approvals of applications scoring at least this need two different reviewers.
FOUR_EYES_MIN_SCORE = env_int("FOUR_EYES_MIN_SCORE", 60)

# Checkpoints of the audit chain are signed with this key, which the database never holds.
AUDIT_CHECKPOINT_KEY = env_str("AUDIT_CHECKPOINT_KEY", "local-audit-checkpoint-key")
