"""A command whose handle runs under the "api" policy (RetryCommand), and one step under
"database" (retry_step); ``--failures`` makes the backend refuse that many times."""

import typing as t

from django.core.management.base import CommandParser
from pertinax.integrations.django.commands import RetryCommand, retry_step

STATE = {"calls": 0, "steps": 0}


class Command(RetryCommand):
    help = "Syncs from a backend that refuses a few times."
    retry_policy = "api"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--failures", type=int, default=2)
        parser.add_argument("--step-failures", type=int, default=0)

    def handle(self, *args: t.Any, **options: t.Any) -> None:
        STATE["calls"] += 1
        if STATE["calls"] <= options["failures"]:
            raise ConnectionError(f"backend refused call {STATE['calls']}")
        self.save(options["step_failures"])
        self.stdout.write(self.style.SUCCESS(f"synced after {STATE['calls']} calls"))

    @retry_step("database")
    def save(self, failures: int) -> None:
        STATE["steps"] += 1
        if STATE["steps"] <= failures:
            raise TimeoutError(f"save timed out (step {STATE['steps']})")
