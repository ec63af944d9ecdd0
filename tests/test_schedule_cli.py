"""``python -m pertinax schedule`` and ``python -m pertinax policies``, run as a user runs them:
in a subprocess. The numbers printed are checked against each strategy's own arithmetic."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tenacity

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "pertinax", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


ROW = re.compile(r"^\s*(\d+)\s+(-?[\d.]+)\s+(-?[\d.]+)\.\.(-?[\d.]+)\s+(-?[\d.]+)$")


def rows(stdout: str) -> list[tuple[int, float, float, float, float]]:
    found = []
    for line in stdout.splitlines():
        match = ROW.match(line)
        if match:
            n, wait, low, high, elapsed = match.groups()
            found.append((int(n), float(wait), float(low), float(high), float(elapsed)))
    return found


def tenacity_waits(wait, count: int) -> list[float]:
    """The waits tenacity's own strategy gives after attempts 1..count."""
    out = []
    for n in range(1, count + 1):
        state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
        state.attempt_number = n
        out.append(float(wait(state)))
    return out


def assert_schedule(stdout: str, expected: list[tuple[float, float, float]]) -> None:
    """``expected``: (middle, low, high) per wait; elapsed is their running total."""
    got = rows(stdout)
    assert [r[0] for r in got] == list(range(1, len(expected) + 1)), stdout
    total = 0.0
    for (n, wait, low, high, elapsed), (mid, lo, hi) in zip(got, expected, strict=True):
        total += mid
        assert (wait, low, high, elapsed) == pytest.approx((mid, lo, hi, total), abs=1e-3), n


@pytest.mark.parametrize(
    ("policy", "attempts", "exponential"),
    [
        ("api", 3, tenacity.wait_exponential(multiplier=2, min=1, max=30)),
        ("database", 5, tenacity.wait_exponential(multiplier=1, min=0.5, max=10)),
        ("file_upload", 3, tenacity.wait_exponential(multiplier=3, min=2, max=60)),
    ],
)
def test_schedule_of_a_preset(policy, attempts, exponential) -> None:
    result = cli("schedule", policy)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"policy {policy!r}: ")
    assert f"{attempts} attempts" in result.stdout.splitlines()[0]
    assert_schedule(result.stdout, [(w, w, w) for w in tenacity_waits(exponential, attempts - 1)])


def test_schedule_of_a_preset_with_more_attempts() -> None:
    result = cli("schedule", "api", "--attempts", "8")
    expected = tenacity_waits(tenacity.wait_exponential(multiplier=2, min=1, max=30), 7)
    assert expected[-1] == 30  # the cap is reached
    assert_schedule(result.stdout, [(w, w, w) for w in expected])


def test_schedule_of_an_expression() -> None:
    result = cli("schedule", "wait_exponential(multiplier=2, max=30)")
    assert result.returncode == 0, result.stderr
    expected = tenacity_waits(tenacity.wait_exponential(multiplier=2, max=30), 9)
    assert_schedule(result.stdout, [(w, w, w) for w in expected])


def test_schedule_bands_of_jittered_strategies() -> None:
    # wait_exponential_jitter: min(max, multiplier * 2**(n-1) + uniform(0, jitter)).
    result = cli(
        "schedule", "wait_exponential_jitter(multiplier=1, max=10, jitter=2)", "--attempts", "6"
    )
    expected = []
    for n in range(1, 6):
        base = 2 ** (n - 1)
        expected.append((min(10, base + 1), min(10, base), min(10, base + 2)))
    assert_schedule(result.stdout, expected)
    # Full jitter: uniform(min, multiplier * 2**(n-1) capped at max).
    result = cli("schedule", "wait_full_jitter(multiplier=0.5, max=3)", "--attempts", "5")
    expected = []
    for n in range(1, 5):
        high = min(3, 0.5 * 2 ** (n - 1))
        expected.append((high / 2, 0, high))
    assert_schedule(result.stdout, expected)
    # A sum of strategies, with a nested one: fixed 2 s plus uniform(1, 3).
    result = cli("schedule", "wait_combine(wait_fixed(2), wait_random(1, 3))", "--attempts", "3")
    assert_schedule(result.stdout, [(4, 3, 5), (4, 3, 5)])
    result = cli("schedule", "wait_fixed(2) + wait_random(min=1, max=3)", "--attempts", "2")
    assert_schedule(result.stdout, [(4, 3, 5)])


def test_schedule_of_a_chain_and_a_retry_after_wait() -> None:
    result = cli(
        "schedule", "wait_chain(wait_fixed(1), wait_fixed(1), wait_fixed(5))", "--attempts", "5"
    )
    assert_schedule(result.stdout, [(1, 1, 1), (1, 1, 1), (5, 5, 5), (5, 5, 5)])
    result = cli(
        "schedule",
        "wait_retry_after(fallback=wait_incrementing(start=1, increment=2), max=10)",
        "--attempts",
        "4",
    )
    assert_schedule(result.stdout, [(1, 1, 1), (3, 3, 3), (5, 5, 5)])


def test_schedule_of_a_configured_policy_via_import(tmp_path: Path) -> None:
    (tmp_path / "mysettings.py").write_text(
        "from pertinax import policies\n"
        "policies.configure({'API_MAX_ATTEMPTS': 4, 'API_BACKOFF_MULTIPLIER': 1})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = cli("schedule", "api", "--import", "mysettings", env=env)
    assert result.returncode == 0, result.stderr
    expected = tenacity_waits(tenacity.wait_exponential(multiplier=1, min=1, max=30), 3)
    assert_schedule(result.stdout, [(w, w, w) for w in expected])


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('touch pwned')", "not a wait strategy"),
        ("open('pwned', 'w')", "'open' is not a wait strategy"),
        ("wait_fixed(len('pwned'))", "not a wait strategy"),
        ("wait_fixed('1')", "literal number"),
        ("wait_fixed(x)", "'x' is not a wait strategy"),
        ("pertinax.wait.wait_fixed(1)", "not a wait strategy"),
        ("(lambda: 1)()", "not a wait strategy"),
        ("wait_fixed(*[1])", "* and ** arguments"),
        ("wait_fixed(1) * 2", "not a strategy call"),
        ("wait_fixed(1", "not a valid expression"),
        ("wait_fixed(1, bogus=2)", "unexpected keyword argument 'bogus'"),
        ("stop_after_attempt(3)", "not a wait strategy"),
        ("nope", "unknown policy 'nope' (registered: api, database, file_upload)"),
    ],
)
def test_schedule_refuses_anything_but_strategies_and_literals(
    expression: str, message: str, tmp_path: Path
) -> None:
    result = cli("schedule", expression, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing ran


def test_schedule_png(tmp_path: Path) -> None:
    target = tmp_path / "api.png"
    result = cli("schedule", "api", "--attempts", "6", "--png", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes().startswith(PNG_SIGNATURE)
    assert target.stat().st_size > 5000
    assert len(rows(result.stdout)) == 5


def test_schedule_png_to_a_missing_directory(tmp_path: Path) -> None:
    result = cli("schedule", "api", "--png", str(tmp_path / "no" / "such.png"))
    assert result.returncode == 2
    assert "--png" in result.stderr and "such.png" in result.stderr


def test_schedule_png_without_matplotlib(tmp_path: Path) -> None:
    # A sitecustomize that hides matplotlib, as on an install without the `plot` extra.
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['matplotlib'] = None\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = cli("schedule", "api", "--png", str(tmp_path / "out.png"), env=env)
    assert result.returncode == 2
    assert "pip install 'pertinax[plot]'" in result.stderr
    assert not (tmp_path / "out.png").exists()
    assert result.stdout == ""  # no table before the error


def test_policies_lists_the_registered_policies(tmp_path: Path) -> None:
    result = cli("policies")
    assert result.returncode == 0, result.stderr
    names = [line.split(":")[0] for line in result.stdout.splitlines()]
    assert names == ["api", "database", "file_upload"]
    assert "database: Policy('database', stop=stop_after_attempt(5)" in result.stdout
    (tmp_path / "mine.py").write_text(
        "from pertinax import Policy, policies, stop_after_attempt\n"
        "policies.register(Policy('payments', stop=stop_after_attempt(4)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = cli("policies", "--import", "mine", env=env)
    assert "payments: Policy('payments', stop=stop_after_attempt(4))" in result.stdout
    result = cli("policies", "--import", "no_such_module_here")
    assert result.returncode == 2
    assert "no_such_module_here" in result.stderr


def test_bad_attempts() -> None:
    result = cli("schedule", "api", "--attempts", "0")
    assert result.returncode == 2
    assert "attempts must be at least 1, got 0" in result.stderr


def test_the_readme_shows_what_the_cli_prints() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    match = re.search(r"^\$ python -m pertinax (schedule \S+)\n(.*?)^```$", readme, re.S | re.M)
    assert match is not None
    command, shown = match.groups()
    result = cli(*command.split())
    assert result.returncode == 0, result.stderr
    assert result.stdout == shown


@pytest.mark.parametrize(
    ("stop", "waits"),
    [
        # stop_after_delay(10): after attempt 5 the 15 s already waited end it.
        ("stop_after_delay(10)", [1, 2, 4, 8]),
        # stop_before_delay(10): the wait after attempt 4 (8 s) would pass 10 s.
        ("stop_before_delay(10)", [1, 2, 4]),
    ],
)
def test_schedule_stops_at_the_policys_deadline(
    stop: str, waits: list[int], tmp_path: Path
) -> None:
    (tmp_path / "deadline.py").write_text(
        "from pertinax import Policy, policies, stop_after_attempt, stop_after_delay, "
        "stop_before_delay, wait_exponential\n"
        f"policies.register(Policy('timed', stop=stop_after_attempt(10) | {stop}, "
        "wait=wait_exponential(multiplier=1, max=30)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = cli("schedule", "timed", "--import", "deadline", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith("10 attempts, deadline 10 s")
    assert_schedule(result.stdout, [(w, w, w) for w in waits])
    assert "(the deadline of 10 s ends the retries here)" in result.stdout
