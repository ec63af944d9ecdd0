"""``manage.py pertinax_policies``: the registered policies and their wait schedules."""

import json
import typing as t

from django.core.management.base import BaseCommand, CommandParser

from ...schedule import describe_policy


class Command(BaseCommand):
    help = "Lists the retry policies, their settings and the waits between their attempts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def handle(self, *args: t.Any, **options: t.Any) -> None:
        from pertinax import policies

        described = [describe_policy(policies.get(name)) for name in sorted(policies.names())]
        if options["json"]:
            self.stdout.write(json.dumps(described, indent=2))
            return
        for item in described:
            self.stdout.write(self.style.MIGRATE_HEADING(item["name"]))
            attempts = item["attempts"]
            self.stdout.write(f"  attempts: {attempts if attempts is not None else 'unlimited'}")
            for key in ("stop", "wait", "retry"):
                self.stdout.write(f"  {key}: {item[key]}")
            waits = ", ".join(
                f"{lo:g}s" if lo == hi else f"{lo:g}-{hi:g}s" for lo, hi in item["schedule"]
            )
            self.stdout.write(f"  waits: {waits or 'none'}")
