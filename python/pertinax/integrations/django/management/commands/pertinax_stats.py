"""``manage.py pertinax_stats``: this process's retry figures, one row per operation."""

import json
import typing as t

from django.core.management.base import BaseCommand, CommandParser

from ... import stats

COLUMNS = (
    ("operation", "operation"),
    ("calls", "calls"),
    ("success", "success_rate"),
    ("retry", "retry_rate"),
    ("give-up", "give_up_rate"),
    ("p50", "p50_seconds"),
    ("p95", "p95_seconds"),
    ("last alert", "last_alert"),
)


def _cell(key: str, value: t.Any) -> str:
    if value is None:
        return "-"
    if key.endswith("_rate"):
        return f"{value:.1%}"
    if key.endswith("_seconds"):
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return str(value)


class Command(BaseCommand):
    help = (
        "Shows the retry figures of this process: calls, success, retry and give-up rates, "
        "p50/p95 duration and the last alert of each operation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--reset", action="store_true", help="zero the counts afterwards")

    def handle(self, *args: t.Any, **options: t.Any) -> None:
        rows = stats.operation_rows()
        if options["json"]:
            self.stdout.write(json.dumps({"scope": "process", "operations": rows}, indent=2))
        elif not rows:
            self.stdout.write("No retried operation has been called in this process.")
        else:
            table = [[title for title, _ in COLUMNS]]
            table += [[_cell(key, row[key]) for _, key in COLUMNS] for row in rows]
            widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
            for n, line in enumerate(table):
                text = "  ".join(
                    cell.ljust(w) if i in (0, len(COLUMNS) - 1) else cell.rjust(w)
                    for i, (cell, w) in enumerate(zip(line, widths, strict=True))
                ).rstrip()
                self.stdout.write(self.style.MIGRATE_HEADING(text) if n == 0 else text)
        if options["reset"]:
            stats.reset()
            if not options["json"]:
                self.stdout.write(self.style.SUCCESS("Counts reset."))
