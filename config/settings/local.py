"""Settings for `make run`: SQLite, console email, Celery tasks in-process."""

from config.env import env_bool

from .base import *  # noqa: F403

# On unless DJANGO_DEBUG=0: the outage drills (tests/chaos) serve pages as production would.
DEBUG = env_bool("DJANGO_DEBUG", True)
# Static files come from the finders; `make run` needs no collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Webhooks to http://127.0.0.1 for trying them out locally; production refuses both.
ENTITLEMENTS_WEBHOOK_ALLOW_HTTP = True
ENTITLEMENTS_WEBHOOK_ALLOW_LOOPBACK = True
# The queue's covering indexes (INCLUDE columns) are PostgreSQL's; SQLite builds them without
# the included columns, which is all `make run` needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
