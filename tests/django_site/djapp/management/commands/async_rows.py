"""Writes rows 0..count-1 through the ORM's async API (``aexists``, ``acreate``), each row in an
``async def`` retried by ``--mode``: ``pertinax.database_retry``, ``retry(policy="database")``,
or tenacity's plain ``@retry`` on OperationalError (the control). ``--via asgi`` sends each row
through Django's ASGI application to the async view ``api/async-row/`` instead (one request
each, as an ASGI server would). ``--terminate-at K`` has another session end the connection
row K is about to use (``pg_terminate_backend``); ``--atomic-at K`` writes row K from sync code
inside ``transaction.atomic()``, through ``async_to_sync``, on a connection ended first. Prints a JSON summary: rows, attempts,
errors, and the connections Django opened and pertinax closed, with their threads."""

import asyncio
import json
import logging
import sys
import threading
import typing as t

from asgiref.sync import async_to_sync, sync_to_async
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.backends.signals import connection_created

from ... import asyncdb

OPENED: list[tuple[str, int]] = []  # (alias, thread) of each connection Django opened
CLOSED: list[tuple[str, int]] = []  # (alias, thread) of each one pertinax closed
REFUSED: list[str] = []  # pertinax's warnings: not retried inside a foreign atomic block


async def through_asgi(n: int, using: str, terminate: bool) -> None:
    """One GET to the async view through Django's ASGI application."""
    from django.core.asgi import get_asgi_application

    path = f"/api/async-row/{using}/{n}/"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"terminate=1" if terminate else b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, t.Any]] = []
    requested = False
    done = asyncio.Event()

    async def receive() -> dict[str, t.Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays until the whole response is sent
        return {"type": "http.disconnect"}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await get_asgi_application()(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent[1:])
    if sent[0]["status"] != 200:
        raise RuntimeError(f"row {n}: HTTP {sent[0]['status']}: {body[:300]!r}")


def in_atomic(n: int, using: str, mode: str) -> None:
    """Sync code in an atomic block calls the async function (which must not retry there)."""
    with transaction.atomic(using=using):
        asyncdb.terminate_own_connection(using)
        async_to_sync(asyncdb.MODES[mode])(n, using)


async def by_call(n: int, using: str, terminate: bool, mode: str) -> None:
    if terminate:
        # In the thread where the ORM's async API runs: its connection is the one row n uses.
        await sync_to_async(asyncdb.terminate_own_connection)(using)
    await asyncdb.MODES[mode](n, using)


class _Closes(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("closed the database connection"):
            CLOSED.append((str(t.cast(tuple[t.Any, ...], record.args)[0]), record.thread or 0))
        elif "inside an atomic block" in record.getMessage():
            REFUSED.append(record.getMessage())


def _opened(sender: t.Any, connection: t.Any, **kwargs: t.Any) -> None:
    OPENED.append((connection.alias, threading.get_ident()))


class Command(BaseCommand):
    help = "Writes numbered rows through the ORM's async API, retrying database errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=100)
        parser.add_argument("--pause", type=float, default=0.0)
        parser.add_argument("--database", default="default")
        parser.add_argument("--mode", choices=sorted(asyncdb.MODES), default="pertinax")
        parser.add_argument("--via", choices=["call", "asgi"], default="call")
        parser.add_argument("--terminate-at", type=int, default=None)
        parser.add_argument("--atomic-at", type=int, default=None)

    def handle(self, *args: t.Any, **options: t.Any) -> None:
        logger = logging.getLogger("pertinax.django")
        logger.addHandler(_Closes())
        logger.setLevel(logging.DEBUG)
        connection_created.connect(_opened)
        summary = asyncio.run(self.write_all(options))
        self.stdout.write(json.dumps(summary))
        if summary["failure"]:
            raise SystemExit(3)

    async def write_all(self, options: dict[str, t.Any]) -> dict[str, t.Any]:
        using = options["database"]
        loop_thread = threading.get_ident()
        written = 0
        failure = None
        try:
            for n in range(options["count"]):
                terminate = n == options["terminate_at"]
                if n == options["atomic_at"]:
                    await sync_to_async(in_atomic)(n, using, options["mode"])
                elif options["via"] == "asgi":
                    await through_asgi(n, using, terminate)
                else:
                    await by_call(n, using, terminate, options["mode"])
                written += 1
                print(f"row {n}", file=sys.stderr, flush=True)
                if options["pause"]:
                    await asyncio.sleep(options["pause"])
        except Exception as e:
            failure = f"{type(e).__module__}.{type(e).__name__}: {e}".strip()
        return {
            "written": written,
            "attempts": asyncdb.STATS["attempts"],
            "errors": dict(asyncdb.STATS["errors"]),
            "failure": failure,
            "opened": len(OPENED),
            "closed": len(CLOSED),
            "refused": REFUSED,
            "threads_opened": len({thread for _, thread in OPENED}),
            "closed_where_opened": all(c in OPENED for c in CLOSED),
            "on_loop_thread": sum(thread == loop_thread for _, thread in OPENED + CLOSED),
        }
