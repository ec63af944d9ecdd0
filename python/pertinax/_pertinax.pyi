"""Type stubs for pertinax's native core (a private module: import from ``pertinax``)."""

import typing as t
from typing import final

__version__: str
build_profile: t.Literal["debug", "release"]
ATTEMPT: t.Final[int]
SLEEP: t.Final[int]
RETURN: t.Final[int]
AWAIT: t.Final[int]

class RetryCallState:
    """State of one retried call: what each strategy and callback receives."""

    start_time: t.Any
    retry_object: t.Any
    fn: t.Any
    args: t.Any
    kwargs: t.Any
    attempt_number: t.Any
    outcome: t.Any
    outcome_timestamp: t.Any
    idle_for: t.Any
    next_action: t.Any
    upcoming_sleep: t.Any
    def __init__(self, retry_object: t.Any, fn: t.Any, args: t.Any, kwargs: t.Any) -> None: ...
    @property
    def seconds_since_start(self) -> t.Any: ...
    def prepare_for_next_attempt(self) -> None: ...
    def set_result(self, val: t.Any) -> None: ...
    def set_exception(self, exc_info: t.Any) -> None: ...
    def get_fn_name(self) -> str: ...
    def __getattr__(self, name: str) -> t.Any: ...

@final
class Engine:
    def __init__(self) -> None: ...
    def invalidate(self) -> None: ...

@final
class Call:
    def __init__(
        self,
        engine: Engine,
        controller: object,
        func: t.Callable[..., t.Any] | None,
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any] | None,
        statistics: dict[str, t.Any] | None,
        is_async: bool,
        observable: bool,
    ) -> None: ...
    def advance(self, value: t.Any = None) -> tuple[int, t.Any]: ...
    def set_result(self, value: t.Any) -> None: ...
    def set_exception(self, exc: BaseException) -> None: ...
    def prepare(self) -> None: ...
    def sleep(self, seconds: float) -> t.Any: ...
    def add_context(self, exc: BaseException) -> None: ...
    @property
    def retry_state(self) -> RetryCallState | None: ...
    @property
    def enabled(self) -> bool: ...

@final
class RetryingCall:
    def __init__(
        self,
        func: t.Callable[..., t.Any],
        controller: object,
        engine: Engine,
        statistics: dict[str, t.Any],
        native: bool,
    ) -> None: ...
    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any: ...
    @property
    def statistics(self) -> dict[str, t.Any]: ...
    @property
    def ran(self) -> bool: ...

def call(
    engine: Engine,
    controller: object,
    func: t.Callable[..., t.Any],
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any] | None,
    statistics: dict[str, t.Any] | None,
) -> t.Any: ...
def step(
    engine: Engine,
    controller: object,
    retry_state: RetryCallState,
    statistics: dict[str, t.Any] | None,
) -> tuple[int, t.Any]: ...
def evaluate_stop(strategy: object, retry_state: object) -> bool: ...
def evaluate_wait(strategy: object, retry_state: object) -> float: ...
def evaluate_retry(strategy: object, retry_state: object) -> t.Any: ...
def begin_statistics(statistics: dict[str, t.Any]) -> None: ...
