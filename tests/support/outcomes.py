"""Helpers for the outcome tests: both libraries as a parameter, errors, failed futures."""

from __future__ import annotations

import pertinax
import pytest
import tenacity

BOTH = pytest.mark.parametrize("lib", [tenacity, pertinax], ids=["tenacity", "pertinax"])


class CustomError(Exception):
    pass


class UnderlyingError(Exception):
    pass


def failed_future(lib, attempt: int, exc: BaseException):
    return lib.Future.construct(attempt, exc, True)


def raised(exc: BaseException) -> BaseException:
    """``exc`` after being raised and caught, so it carries a traceback."""
    try:
        raise exc
    except BaseException as caught:
        return caught
