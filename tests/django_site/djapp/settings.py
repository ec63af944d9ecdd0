"""Settings of the Django project the app's tests run (in the test process, and in child
processes for PostgreSQL and for a real server).

``PERTINAX_TEST_PG`` (a port) puts the ``default`` and ``secondary`` aliases on a PostgreSQL
on 127.0.0.1; otherwise both are SQLite files under ``PERTINAX_TEST_DIR`` (or a temporary
directory). ``PERTINAX_TEST_STORE`` (a redis:// URL) and ``PERTINAX_TEST_STORE_PREFIX`` set
``PERTINAX["store"]``, for fleet-wide figures (published when the dashboard is shown).
"""

import os
import tempfile

SECRET_KEY = "pertinax-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ROOT_URLCONF = "djapp.urls"
LOGIN_URL = "/login/"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "pertinax.integrations.django",
    "djapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pertinax.integrations.django.middleware.RetryMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

_pg_port = os.environ.get("PERTINAX_TEST_PG")
if _pg_port:
    _pg = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": _pg_port,
        "OPTIONS": {"connect_timeout": 3},
    }
    DATABASES = {"default": _pg, "secondary": dict(_pg)}
else:
    _dir = os.environ.get("PERTINAX_TEST_DIR") or tempfile.mkdtemp(prefix="pertinax-djapp-")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(_dir, "default.sqlite3"),
            "TEST": {"NAME": os.path.join(_dir, "test-default.sqlite3")},
        },
        "secondary": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(_dir, "secondary.sqlite3"),
            # A short busy timeout, so a lock held by another connection shows at once.
            "OPTIONS": {"timeout": 0.05},
            "TEST": {"NAME": os.path.join(_dir, "test-secondary.sqlite3")},
        },
    }

PERTINAX = {
    # No wait between attempts; max=0 also caps the waits a Retry-After asks for.
    "policies": {
        "api": {"attempts": 3, "wait": 0, "max": 0, "retry_on": ["builtins.ConnectionError"]},
    },
    "middleware": {"retry_after": 7},
    "dashboard": {"interval": float(os.environ.get("PERTINAX_TEST_INTERVAL", "0.2"))},
}
if os.environ.get("PERTINAX_TEST_STORE"):
    PERTINAX["store"] = {
        "url": os.environ["PERTINAX_TEST_STORE"],
        "prefix": os.environ.get("PERTINAX_TEST_STORE_PREFIX", "pertinax"),
        "timeout": 2.0,
        "publish_every": 0,
    }
# The guide's flat keys: the database policy outlasts a PostgreSQL restart (about a second).
RETRY_CONFIG = {
    "DATABASE_MAX_ATTEMPTS": 10,
    "DATABASE_BACKOFF_MULTIPLIER": 0.1,
    "DATABASE_MIN_WAIT": 0.1,
    "DATABASE_MAX_WAIT": 1,
}
