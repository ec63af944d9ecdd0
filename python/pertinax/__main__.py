"""``python -m pertinax``: look at retry policies from the command line.

``schedule TARGET`` prints the waits of a registered policy or of a wait expression, attempt
by attempt (``--png FILE`` plots them); ``policies`` lists the registered policies.
"""

import argparse
import importlib
import sys
import typing as t


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pertinax", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    schedule = commands.add_parser(
        "schedule",
        help="the waits of a policy or a wait expression, attempt by attempt",
        description="Prints, after each failed attempt, the wait (every random draw at its "
        "middle), the band the jitter can give (lowest..highest), and the total waited so far.",
    )
    schedule.add_argument(
        "target",
        metavar="POLICY_OR_EXPRESSION",
        help="a policy name (api, database, file_upload, ...) or a wait expression such as "
        "'wait_exponential(multiplier=2, max=30)'",
    )
    schedule.add_argument(
        "--attempts",
        type=int,
        metavar="N",
        help="attempts to show (default: the policy's, else 10)",
    )
    schedule.add_argument("--png", metavar="FILE", help="also plot the schedule into FILE")
    listing = commands.add_parser("policies", help="list the registered policies")
    for sub in (schedule, listing):
        sub.add_argument(
            "--import",
            dest="imports",
            action="append",
            default=[],
            metavar="MODULE",
            help="import MODULE first (to register its policies); may be repeated",
        )
    return parser


def main(argv: t.Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    for module in args.imports:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            parser.error(f"--import {module}: {exc}")
    from . import _schedule, policies

    if args.command == "policies":
        for name in policies.names():
            print(f"{name}: {policies.get(name)!r}")
        return 0
    try:
        if args.png:
            _schedule.pyplot()  # a missing extra fails before the table is printed
        result = _schedule.schedule(args.target, args.attempts)
        print(_schedule.format_table(result))
        if args.png:
            _schedule.plot(result, args.png)
            print(f"plot written to {args.png}")
    except _schedule.ScheduleError as exc:
        parser.exit(2, f"{parser.prog} schedule: error: {exc}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
