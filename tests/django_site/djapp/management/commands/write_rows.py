"""Writes rows 0..count-1, one transaction each, under ``database_retry`` (or, with
``--plain-tenacity``, under tenacity's plain ``@retry`` on OperationalError), and prints a JSON
summary: rows written, attempts made, and the errors seen."""

import collections
import json
import sys
import time
import typing as t

import pertinax
import tenacity
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.utils import OperationalError

from ...models import Row

ATTEMPTS = 0
ERRORS: collections.Counter[str] = collections.Counter()


def _write(n: int, using: str, atomic: bool) -> None:
    global ATTEMPTS
    ATTEMPTS += 1
    try:
        # Written already by an attempt whose commit's acknowledgement the restart cut off?
        # (The unique column would refuse a second copy anyway.)
        if Row.objects.using(using).filter(n=n).exists():
            return
        if atomic:
            with transaction.atomic(using=using):
                Row.objects.using(using).create(n=n)
        else:
            Row.objects.using(using).create(n=n)  # autocommit: its own transaction
    except Exception as e:
        ERRORS[f"{type(e).__module__}.{type(e).__name__}"] += 1
        raise


@pertinax.database_retry
def write_with_pertinax(n: int, using: str, atomic: bool) -> None:
    _write(n, using, atomic)


@tenacity.retry(
    retry=tenacity.retry_if_exception_type(OperationalError),
    stop=tenacity.stop_after_attempt(10),
    wait=tenacity.wait_exponential(multiplier=0.1, min=0.1, max=1),
    reraise=True,
)
def write_with_tenacity(n: int, using: str, atomic: bool) -> None:
    _write(n, using, atomic)


class Command(BaseCommand):
    help = "Writes numbered rows, one transaction each, retrying database errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=500)
        parser.add_argument("--pause", type=float, default=0.0)
        parser.add_argument("--database", default="default")
        parser.add_argument("--plain-tenacity", action="store_true")
        parser.add_argument("--atomic", action="store_true", help="each row in transaction.atomic")

    def handle(self, *args: t.Any, **options: t.Any) -> None:
        write = write_with_tenacity if options["plain_tenacity"] else write_with_pertinax
        written = 0
        failure = None
        try:
            for n in range(options["count"]):
                write(n, options["database"], options["atomic"])
                written += 1
                print(f"row {n}", file=sys.stderr, flush=True)
                if options["pause"]:
                    time.sleep(options["pause"])
        except Exception as e:
            failure = f"{type(e).__module__}.{type(e).__name__}: {e}".strip()
        self.stdout.write(
            json.dumps(
                {
                    "written": written,
                    "attempts": ATTEMPTS,
                    "errors": dict(ERRORS),
                    "failure": failure,
                }
            )
        )
        if failure:
            raise SystemExit(3)
