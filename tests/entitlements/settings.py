"""Test settings with the entitlements app installed, until config/settings lists it."""

from config.settings.test import *  # noqa: F403
from config.settings.test import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "entitlements"]
ROOT_URLCONF = "tests.entitlements.urls"
ENTITLEMENTS_WEBHOOK_ALLOW_HTTP = False
ENTITLEMENTS_WEBHOOK_ALLOW_LOOPBACK = False
