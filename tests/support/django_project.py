"""A small Django project that retries with `tenacity` or `pertinax` (argv[1]), run in a
child process by tests/test_django.py: Django's settings, its LOGGING and its request
handling are process-wide, so they stay out of the test process.

It runs a management command that retries in iterator mode and in call form, serves two
views through Django's test client (a function view under @retry and a class-based view
under method_decorator), and prints everything it saw as JSON.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import sys
import typing as t

lib: t.Any = importlib.import_module(sys.argv[1])

import django  # noqa: E402
from django.conf import settings  # noqa: E402

RECORDS: list[tuple[str, str, str]] = []


class Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        RECORDS.append((record.name, record.levelname, record.getMessage()))


settings.configure(
    DEBUG=False,
    # Django 4.2's error reporting reads it when a view fails; any value will do here.
    SECRET_KEY="django-project-for-tests",
    ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    MIDDLEWARE=[],
    # What a project's settings.py says: the app's logger at INFO, and pertinax's own events
    # (retrying, recovered, ...) at DEBUG, through a handler of the project's.
    LOGGING={
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"collect": {"()": Collect}},
        "loggers": {
            "shop": {"handlers": ["collect"], "level": "INFO", "propagate": False},
            "pertinax": {"handlers": ["collect"], "level": "DEBUG", "propagate": False},
        },
    },
)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.management.base import BaseCommand  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils.decorators import method_decorator  # noqa: E402
from django.views import View  # noqa: E402

log = logging.getLogger("shop")
CALLS: list[str] = []


def flaky(name: str, failures: int) -> t.Callable[[], str]:
    """A backend that refuses `failures` times, then answers."""
    count = 0

    def call() -> str:
        nonlocal count
        count += 1
        CALLS.append(f"{name} {count}")
        if count <= failures:
            raise ConnectionError(f"{name} refused")
        return f"{name} ok"

    return call


class Command(BaseCommand):
    help = "Synchronise prices from the supplier, retrying while it refuses."

    def add_arguments(self, parser: t.Any) -> None:
        parser.add_argument("--failures", type=int, default=2)

    def handle(self, *args: t.Any, **options: t.Any) -> None:
        supplier = flaky("supplier", options["failures"])
        for attempt in lib.Retrying(
            stop=lib.stop_after_attempt(4),
            wait=lib.wait_fixed(0),
            before_sleep=lib.before_sleep_log(log, logging.WARNING),
            reraise=True,
        ):
            with attempt:
                result = supplier()
        self.stdout.write(f"{result} after {attempt.retry_state.attempt_number} attempts")
        controller = lib.Retrying(stop=lib.stop_after_attempt(3), wait=lib.wait_fixed(0))
        self.stdout.write(controller(flaky("stock", 1)))
        self.stdout.write(f"stock attempts: {controller.statistics['attempt_number']}")


price = flaky("pricing", 1)


@lib.retry(stop=lib.stop_after_attempt(3), wait=lib.wait_fixed(0), reraise=True)
def price_view(request: t.Any, sku: str) -> JsonResponse:
    return JsonResponse({"sku": sku, "price": price()})


stock = flaky("stock-view", 2)


class StockView(View):
    @method_decorator(lib.retry(stop=lib.stop_after_attempt(2), wait=lib.wait_fixed(0)))
    def get(self, request: t.Any) -> JsonResponse:
        return JsonResponse({"stock": stock()})


urlpatterns = [path("price/<str:sku>/", price_view), path("stock/", StockView.as_view())]


def main() -> None:
    out: dict[str, t.Any] = {}
    stdout = io.StringIO()
    call_command(Command(), failures=2, stdout=stdout)
    out["command"] = stdout.getvalue().splitlines()
    try:
        call_command(Command(), failures=5, stdout=io.StringIO())
    except ConnectionError as e:
        out["command_gave_up"] = str(e)

    client = Client(raise_request_exception=False)
    response = client.get("/price/A-1/")
    out["price"] = (response.status_code, response.json())
    response = client.get("/stock/")
    # Two attempts, both refused: the view raises RetryError, Django answers 500.
    out["stock"] = response.status_code
    out["price_statistics"] = price_view.statistics["attempt_number"]
    out["calls"] = CALLS
    out["logs"] = [r for r in RECORDS if not r[0].startswith("pertinax")]
    out["pertinax_logs"] = [r for r in RECORDS if r[0].startswith("pertinax")]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
