"""Settings for `make run`: SQLite, console email, Celery tasks in-process."""

from .base import *  # noqa: F403

DEBUG = True
# Static files come from the finders; `make run` needs no collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
