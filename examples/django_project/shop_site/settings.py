"""A small shop that prices its catalogue from a supplier's API, with pertinax's Django app."""

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "example-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
ROOT_URLCONF = "shop_site.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGIN_URL = "/admin/login/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "pertinax.integrations.django",
    "shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last: it answers retried requests from process_view (pertinax.E009 checks the order).
    "pertinax.integrations.django.middleware.RetryMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SHOP_DB")
        or os.path.join(tempfile.gettempdir(), "pertinax-shop.sqlite3"),
    }
}

# Where the supplier's API lives; the demo command starts a flaky one on loopback.
SUPPLIER_URL = os.environ.get("SUPPLIER_URL", "http://127.0.0.1:8765")

PERTINAX = {
    "policies": {
        # Short waits, so the demo is quick; a real project keeps the presets' seconds.
        "api": {"attempts": 4, "multiplier": 0.05, "min": 0.05, "max": 0.5},
    },
    "log_levels": "loud",
    "metrics": {"alerts": {"api": {"retry_rate": 0.5, "min_calls": 3, "window": 300}}},
    "middleware": {"paths": ["/api/"], "retry_after": 10},
}
# The guide's flat keys work too.
RETRY_CONFIG = {"DATABASE_MAX_ATTEMPTS": 5, "DATABASE_MIN_WAIT": 0.1, "DATABASE_MAX_WAIT": 2}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"short": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "short"}},
    "loggers": {"pertinax": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
