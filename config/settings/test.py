"""Settings for the test suite: fast hashing, in-memory email, eager Celery unless told."""

from config.env import env_str

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Static files come from the finders; no collectstatic before tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process in tests; the worker integration test switches to a real broker itself.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = env_str("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
