"""``manage.py demo``: the whole example in one command.

It migrates the SQLite database, starts a flaky supplier API on loopback, syncs the prices
(retries reported on stderr), calls the price view through RetryMiddleware while the supplier
is flaky and then down (a JSON 503 with Retry-After), and prints this process's retry figures.
With ``--serve`` it then creates a staff user and serves the site, dashboard included, on
127.0.0.1 (``--port``, default 8000) until Ctrl-C.
"""

import secrets
import typing as t

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.test import Client

from ...supplier import start_flaky_supplier


class Command(BaseCommand):
    help = "Runs the pertinax Django example from start to end."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--serve", action="store_true", help="then serve the site")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: t.Any, **options: t.Any) -> None:
        call_command("migrate", verbosity=0)
        supplier = start_flaky_supplier(failures=2)
        settings.SUPPLIER_URL = f"http://127.0.0.1:{supplier.server_address[1]}"
        try:
            self.step("sync_prices: the supplier fails twice in every three requests")
            call_command("sync_prices", stdout=self.stdout, stderr=self.stderr)

            client = Client()
            self.step("GET /api/prices/A-1/ while the supplier is flaky")
            self.show(client.get("/api/prices/A-1/"))
            supplier.failures = 3  # type: ignore[attr-defined]
            self.step("GET /api/prices/A-1/ while the supplier is down")
            self.show(client.get("/api/prices/A-1/"))
            supplier.failures = 2  # type: ignore[attr-defined]

            self.step("pertinax_stats")
            call_command("pertinax_stats", stdout=self.stdout)
            if options["serve"]:
                self.serve(options["port"])
        finally:
            supplier.shutdown()
            supplier.server_close()  # shutdown() leaves the listening socket open

    def step(self, title: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"\n== {title}"))

    def show(self, response: t.Any) -> None:
        retry_after = response.headers.get("Retry-After")
        extra = f" Retry-After: {retry_after}" if retry_after is not None else ""
        self.stdout.write(f"{response.status_code}{extra} {response.content.decode()}")

    def serve(self, port: int) -> None:
        from django.contrib.auth.models import User

        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username="staff", defaults={"is_staff": True})
        user.is_staff = True
        user.set_password(password)
        user.save()
        self.step(f"serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        self.stdout.write(
            f"dashboard: http://127.0.0.1:{port}/pertinax/  user staff, password {password}"
        )
        self.stdout.write(f"API view:  http://127.0.0.1:{port}/api/prices/A-1/")
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
