"""The waits a policy (or a wait expression) would make, attempt by attempt.

An expression such as ``wait_exponential(multiplier=2, max=30)`` is parsed with :mod:`ast`
and never evaluated: only wait strategy names, ``+`` between strategies, and literal numbers
are accepted. The waits come from the strategies themselves, evaluated with every random draw
at its lowest, middle and highest value, so the band is exactly what the jitter can give.
"""

import ast
import contextlib
import random
import typing as t

from . import policies, wait
from . import stop as _stop
from ._policy import Policy
from ._render import render
from ._settings import knobs

DEFAULT_ATTEMPTS = 10


class ScheduleError(Exception):
    """A target that is neither a registered policy nor an acceptable wait expression."""


def _strategies() -> dict[str, t.Callable[..., t.Any]]:
    names = (
        "wait_none",
        "wait_fixed",
        "wait_random",
        "wait_incrementing",
        "wait_exponential",
        "wait_random_exponential",
        "wait_full_jitter",
        "wait_exponential_jitter",
        "wait_combine",
        "wait_chain",
    )
    found: dict[str, t.Callable[..., t.Any]] = {
        name: getattr(wait, name if name != "wait_full_jitter" else "wait_random_exponential")
        for name in names
    }
    found["wait_retry_after"] = type(policies.API.kwargs["wait"])
    return found


class Row(t.NamedTuple):
    """The wait after a failed attempt: its lowest, middle and highest values, and the total
    of the middle waits so far (with its own lowest and highest)."""

    attempt: int
    low: float
    wait: float
    high: float
    elapsed: float
    elapsed_low: float
    elapsed_high: float


class Schedule(t.NamedTuple):
    title: str
    strategy: object
    attempts: int
    rows: list[Row]
    deadline: float | None = None
    """The policy's ``stop_after_delay``/``stop_before_delay`` limit, if any."""
    cut: bool = False
    """The deadline ended the retries before the attempts ran out."""


def _deadline(stop: object) -> tuple[float, bool] | None:
    """The delay limit of a stop (seconds, and whether it is checked before sleeping)."""
    parts: tuple[t.Any, ...] = stop.stops if isinstance(stop, _stop.stop_any) else (stop,)
    limits = [
        (float(part.max_delay), type(part) is _stop.stop_before_delay)
        for part in parts
        if type(part) in (_stop.stop_after_delay, _stop.stop_before_delay)
    ]
    return min(limits) if limits else None


def _refuse(node: ast.AST, why: str) -> t.NoReturn:
    raise ScheduleError(
        f"{ast.unparse(node)!r}: {why}; an expression may only call wait strategies "
        f"({', '.join(sorted(_strategies()))}) with literal numbers, and add them with +"
    )


def _literal(node: ast.expr) -> object:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        value = t.cast("float", node.operand.value)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.Call, ast.Name, ast.BinOp)):
        return _build(node)  # a strategy as an argument (wait_combine, wait_retry_after, ...)
    _refuse(node, "an argument must be a literal number or a wait strategy")


def _build(node: ast.expr) -> object:
    known = _strategies()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _build(node.left) + _build(node.right)  # type: ignore[operator]
    if isinstance(node, ast.Name):
        if node.id not in known:
            _refuse(node, f"{node.id!r} is not a wait strategy")
        return _construct(node.id, known[node.id], [], {})
    if not isinstance(node, ast.Call):
        _refuse(node, "not a strategy call")
    if not isinstance(node.func, ast.Name):
        _refuse(node.func, "not a wait strategy")
    if node.func.id not in known:
        _refuse(node.func, f"{node.func.id!r} is not a wait strategy")
    if any(k.arg is None for k in node.keywords) or any(
        isinstance(a, ast.Starred) for a in node.args
    ):
        _refuse(node, "* and ** arguments are not accepted")
    args = [_literal(arg) for arg in node.args]
    kwargs = {str(k.arg): _literal(k.value) for k in node.keywords}
    return _construct(node.func.id, known[node.func.id], args, kwargs)


def _construct(
    name: str, cls: t.Callable[..., t.Any], args: list[object], kwargs: dict[str, object]
) -> object:
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise ScheduleError(f"{name}(): {exc}") from None


def parse(expression: str) -> object:
    """The wait strategy an expression describes (never evaluated)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ScheduleError(f"{expression!r} is not a valid expression: {exc.msg}") from None
    return _build(tree.body)


def resolve(target: str) -> tuple[str, object, int | None, tuple[float, bool] | None]:
    """``target`` as (title, wait strategy, the policy's attempts, its delay limit)."""
    registered = policies.names()
    if target in registered:
        policy: Policy = policies.get(target)
        strategy = policy.kwargs.get("wait", wait.wait_none())
        attempts = t.cast("int | None", knobs(policy).get("attempts"))
        return f"policy {target!r}", strategy, attempts, _deadline(policy.kwargs.get("stop"))
    if target.isidentifier() and target not in _strategies():
        raise ScheduleError(
            f"unknown policy {target!r} (registered: {', '.join(registered)}); or give a wait "
            f"expression such as 'wait_exponential(multiplier=2, max=30)'"
        )
    return "expression", parse(target), None, None


@contextlib.contextmanager
def _draws(r: float) -> t.Iterator[None]:
    # Every draw the strategies make goes through the random module (looked up at call time),
    # so fixing random() and uniform() fixes the wait; restored afterwards.
    saved = random.random, random.uniform
    random.random = lambda: r
    random.uniform = lambda a, b: a + (b - a) * r
    try:
        yield
    finally:
        random.random, random.uniform = saved


def _evaluate(strategy: t.Any, attempt: int, r: float) -> float:
    from . import Retrying
    from ._pertinax import RetryCallState

    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = attempt
    error = ConnectionError("schedule")
    state.set_exception((ConnectionError, error, None))
    with _draws(r):
        return float(strategy(state)) if strategy is not None else 0.0


def schedule(target: str, attempts: int | None = None) -> Schedule:
    """The waits of ``target`` (a policy name or a wait expression)."""
    title, strategy, own_attempts, limit = resolve(target)
    count = attempts if attempts is not None else own_attempts or DEFAULT_ATTEMPTS
    if count < 1:
        raise ScheduleError(f"attempts must be at least 1, got {count}")
    rows: list[Row] = []
    total = total_low = total_high = 0.0
    cut = False
    for attempt in range(1, count):
        low, mid, high = (_evaluate(strategy, attempt, r) for r in (0.0, 0.5, 1.0))
        low, high = min(low, high), max(low, high)
        if limit is not None:
            # Time spent in the attempts themselves is not known here: only the waits count.
            seconds, before_sleeping = limit
            if total + (mid if before_sleeping else 0.0) >= seconds:
                cut = True
                break
        total, total_low, total_high = total + mid, total_low + low, total_high + high
        rows.append(Row(attempt, low, mid, high, total, total_low, total_high))
    deadline = limit[0] if limit is not None else None
    return Schedule(title, strategy, count, rows, deadline, cut)


def format_table(result: Schedule) -> str:
    """The schedule as text: one line per wait."""
    deadline = "" if result.deadline is None else f", deadline {render(result.deadline)} s"
    lines = [
        f"{result.title}: {render(result.strategy)}, {result.attempts} attempts{deadline}",
        "after attempt      wait (s)      jitter band (s)   elapsed (s)",
    ]
    for row in result.rows:
        band = f"{row.low:.3f}..{row.high:.3f}"
        lines.append(f"{row.attempt:>13}  {row.wait:>12.3f}  {band:>19}  {row.elapsed:>12.3f}")
    if result.cut:
        lines.append(f"(the deadline of {render(result.deadline)} s ends the retries here)")
    elif not result.rows:
        lines.append("(a single attempt: no wait)")
    return "\n".join(lines)


def pyplot() -> t.Any:
    """matplotlib's pyplot on a file-only backend, or a ScheduleError naming the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ScheduleError(
            "--png needs matplotlib: pip install 'pertinax[plot]' (or matplotlib itself)"
        ) from None
    return plt


def plot(result: Schedule, path: str) -> None:
    """Draws the schedule into a PNG file (needs matplotlib: ``pip install 'pertinax[plot]'``)."""
    plt = pyplot()
    x = [row.attempt for row in result.rows]
    figure, axes = plt.subplots(figsize=(8, 4.5))
    axes.fill_between(x, [r.low for r in result.rows], [r.high for r in result.rows], alpha=0.25)
    axes.plot(x, [r.wait for r in result.rows], marker="o", label="wait (jitter band shaded)")
    axes.set_ylim(bottom=0)
    axes.set_xlabel("after attempt")
    axes.set_ylabel("wait (s)")
    elapsed = axes.twinx()
    elapsed.plot(
        x, [r.elapsed for r in result.rows], color="tab:red", linestyle="--", label="elapsed"
    )
    elapsed.set_ylim(bottom=0)
    elapsed.set_ylabel("elapsed (s)")
    axes.set_title(f"{result.title}: {render(result.strategy)}", fontsize=9)
    handles = axes.get_legend_handles_labels()[0] + elapsed.get_legend_handles_labels()[0]
    axes.legend(handles=handles, loc="upper left")
    figure.tight_layout()
    try:
        figure.savefig(path, format="png")
    except OSError as exc:
        raise ScheduleError(f"--png {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(figure)
