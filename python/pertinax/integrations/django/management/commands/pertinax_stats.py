"""``manage.py pertinax_stats``: the retry figures of this process, or of the fleet when
``PERTINAX["store"]`` is set, one row per operation; then the circuit breakers and retry
budgets: the fleet's (with a store), and this process's."""

import datetime
import json
import typing as t

from django.core.management.base import BaseCommand, CommandParser

from ... import fleet, stats

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
BREAKER_COLUMNS = (
    ("breaker", "breaker"),
    ("state", "state"),
    ("failure", "failure_rate"),
    ("window", "window_calls"),
    ("opened", "opened"),
    ("refused", "rejected"),
    ("last change", "changed_at"),
)
FLEET_BREAKER_COLUMNS = (
    ("breaker", "breaker"),
    ("state", "state_shown"),
    ("processes", "processes"),
    ("kept in", "kept_in"),
    ("failure", "failure_rate"),
    ("window", "window_calls"),
    ("opened", "opened"),
    ("refused", "rejected"),
    ("last change", "changed_at"),
)
BUDGET_COLUMNS = (
    ("budget", "budget"),
    ("available", "available"),
    ("retries", "retries"),
    ("give-ups", "gave_up"),
)
FLEET_BUDGET_COLUMNS = (
    *BUDGET_COLUMNS,
    ("processes", "processes"),
    ("kept in", "kept_in"),
)
# Columns read as text, aligned left; the rest are figures, aligned right.
TEXT = {
    "operation",
    "last_alert",
    "breaker",
    "state",
    "state_shown",
    "kept_in",
    "changed_at",
    "budget",
}


def _cell(key: str, value: t.Any) -> str:
    if value is None:
        return "-"
    if key.endswith("_rate"):
        return f"{value:.1%}"
    if key.endswith("_seconds"):
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if key == "changed_at":
        at = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        return at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _scope_line(figures: t.Mapping[str, t.Any]) -> str:
    if figures["scope"] == "fleet":
        n = figures["processes"]
        return (
            f"Fleet-wide figures: the sum over {n} live process{'es' if n != 1 else ''} "
            f"(store prefix {figures['prefix']}). Breakers and budgets: the fleet's, then this "
            "process's."
        )
    if figures["store"]:
        return f"Figures of this process only: {figures['store']}."
    return "Figures of this process only (no PERTINAX['store'] for fleet-wide figures)."


class Command(BaseCommand):
    help = (
        "Shows the retry figures of this process (of the fleet with PERTINAX['store']): "
        "calls, success, retry and give-up rates, p50/p95 duration and the last alert of each "
        "operation; the state, failure rate and last change of each circuit breaker; the "
        "tokens and give-ups of each retry budget (the fleet's and this process's, with a store)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--reset", action="store_true", help="zero the counts afterwards")

    def handle(self, *args: t.Any, **options: t.Any) -> None:
        figures = fleet.figures(publish=False)
        rows = stats.operation_rows(figures.pop("snapshot", None))
        breakers, budgets = stats.breaker_rows(), stats.budget_rows()
        if options["json"]:
            data = {**figures, "operations": rows, "breakers": breakers, "budgets": budgets}
            self.stdout.write(json.dumps(data, indent=2))
        else:
            self.stdout.write(_scope_line(figures))
            if rows:
                self._table(COLUMNS, rows)
            else:
                self.stdout.write("No retried operation has been called.")
            if figures["scope"] == "fleet":
                self._fleet_tables(figures)
            for columns, found, what in (
                (BREAKER_COLUMNS, breakers, "Circuit breakers"),
                (BUDGET_COLUMNS, budgets, "Retry budgets"),
            ):
                if found:
                    self.stdout.write("")
                    if figures["scope"] == "fleet":
                        self.stdout.write(f"{what} of this process:")
                    self._table(columns, found)
        if options["reset"]:
            stats.reset()
            if not options["json"]:
                self.stdout.write(self.style.SUCCESS("Counts reset."))

    def _fleet_tables(self, figures: t.Mapping[str, t.Any]) -> None:
        n = figures["processes"]
        among = f"{n} live process{'es' if n != 1 else ''}"
        breakers = [
            {**row, "state_shown": stats.state_shown(row)}
            for row in stats.fleet_breaker_rows(figures)
        ]
        for columns, found, what in (
            (FLEET_BREAKER_COLUMNS, breakers, "Circuit breakers"),
            (FLEET_BUDGET_COLUMNS, stats.fleet_budget_rows(figures), "Retry budgets"),
        ):
            self.stdout.write("")
            if found:
                self.stdout.write(f"{what} of the fleet ({among}):")
                self._table(columns, found)
            else:
                self.stdout.write(f"{what} of the fleet ({among}): none published.")

    def _table(self, columns: tuple[tuple[str, str], ...], rows: list[dict[str, t.Any]]) -> None:
        table = [[title for title, _ in columns]]
        table += [[_cell(key, row[key]) for _, key in columns] for row in rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
        for n, line in enumerate(table):
            text = "  ".join(
                cell.ljust(w) if key in TEXT else cell.rjust(w)
                for cell, w, (_, key) in zip(line, widths, columns, strict=True)
            ).rstrip()
            self.stdout.write(self.style.MIGRATE_HEADING(text) if n == 0 else text)
