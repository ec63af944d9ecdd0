"""pytest plugin (entry point ``pertinax``): pertinax's testing mode for a run or one test.

``pytest --pertinax-testing`` (with ``--pertinax-testing-attempts=N``, default 1) turns the
mode on for the whole run; the ``pertinax_testing`` fixture turns it on for one test and
yields :mod:`pertinax.testing`, so the test can change the attempts.
"""

from __future__ import annotations

import typing as t

import pytest

if t.TYPE_CHECKING:
    import types


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pertinax", "pertinax retries")
    group.addoption(
        "--pertinax-testing",
        action="store_true",
        default=False,
        help="every retry stops after --pertinax-testing-attempts attempts and never sleeps",
    )
    group.addoption(
        "--pertinax-testing-attempts",
        type=int,
        default=1,
        metavar="N",
        help="attempts each retry makes under --pertinax-testing (default: 1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("pertinax_testing", False):
        return
    from . import testing

    attempts = config.getoption("pertinax_testing_attempts")
    try:
        mode = testing.testing(attempts=attempts)
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"--pertinax-testing-attempts={attempts!r}: {exc}") from None
    mode.__enter__()
    config.add_cleanup(lambda: mode.__exit__(None, None, None))


@pytest.fixture
def pertinax_testing() -> t.Iterator[types.ModuleType]:
    """pertinax's testing mode (1 attempt, no sleeping) for this test, restored afterwards;
    yields :mod:`pertinax.testing` (``pertinax_testing.set_testing(True, attempts=3)``)."""
    from . import testing

    with testing.testing(attempts=1):
        yield testing
